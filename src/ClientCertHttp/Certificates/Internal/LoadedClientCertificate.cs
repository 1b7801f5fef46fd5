using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Certificates;

/// <summary>
/// A client certificate loaded once, with the TLS context built once from it: every handler and every connection
/// of the client reuses <see cref="Context"/>.
/// </summary>
internal sealed class LoadedClientCertificate : IDisposable
{
    private readonly X509Certificate2Collection _owned;

    public LoadedClientCertificate(X509Certificate2 certificate, X509Certificate2Collection owned, string source)
    {
        Certificate = certificate;
        _owned = owned;
        Source = source;

        var intermediates = new X509Certificate2Collection();
        foreach (var candidate in owned)
        {
            if (!ReferenceEquals(candidate, certificate))
            {
                intermediates.Add(candidate);
            }
        }

        // offline: true — the chain is built from what the source holds (plus the machine's stores) without
        // downloading anything. The context is the only client-side setting that makes SslStream send intermediates
        // that are not in the user's X509 store; ClientCertificates and the selection callback send the leaf alone.
        Context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    /// <summary>Gets the client certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the context handed to every <see cref="SocketsHttpHandler"/> of the client.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>Gets a description of where the certificate came from (never a secret).</summary>
    public string Source { get; }

    /// <summary>Gets every certificate the source held: the leaf and the candidate intermediates (and a root, if any).</summary>
    public X509Certificate2Collection SourceCertificates => _owned;

    /// <summary>
    /// Gets the password file the certificate was opened with (its path and setting) when the file's content begins or
    /// ends with white space, for the readiness report; otherwise <see langword="null"/>. The password itself is not kept.
    /// </summary>
    public string? PasswordFileWithSurroundingWhitespace { get; private set; }

    /// <summary>Gets how many certificates are sent in the handshake: the leaf and the intermediates.</summary>
    public int ChainLength => 1 + Context.IntermediateCertificates.Count;

    /// <summary>Tells whether another loaded certificate sends exactly the same leaf and chain.</summary>
    public bool HasSameMaterial(LoadedClientCertificate other)
    {
        if (!Certificate.RawDataMemory.Span.SequenceEqual(other.Certificate.RawDataMemory.Span)
            || Context.IntermediateCertificates.Count != other.Context.IntermediateCertificates.Count)
        {
            return false;
        }

        for (var i = 0; i < Context.IntermediateCertificates.Count; i++)
        {
            if (!Context.IntermediateCertificates[i].RawDataMemory.Span.SequenceEqual(other.Context.IntermediateCertificates[i].RawDataMemory.Span))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose()
    {
        // The context holds its own copies of the intermediates it will send, made from the chain it built.
        foreach (var copy in Context.IntermediateCertificates)
        {
            copy.Dispose();
        }

        foreach (var certificate in _owned)
        {
            certificate.Dispose();
        }
    }

    /// <summary>
    /// Checks the certificate a loader chose and builds the TLS context; disposes <paramref name="owned"/> on failure.
    /// Every loader ends here: loaders call forward, never back into the dispatcher that called them.
    /// </summary>
    public static LoadedClientCertificate Create(
        CertificateLoadContext context,
        string source,
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection owned)
    {
        try
        {
            var problems = new List<ClientCertificateException>();
            ClientCertificateInspector.Inspect(context.Names, source, certificate, context.Now, problems);
            if (problems.Count > 0 && !context.ReportOnly)
            {
                throw ClientCertificateException.Combine(context.ClientName, problems);
            }

            var result = new LoadedClientCertificate(certificate, owned, source)
            {
                PasswordFileWithSurroundingWhitespace = context.PasswordFromFile is { } file && ClientCertHttp.Diagnostics.ClientCertificateReadiness.HasSurroundingWhitespace(file.Text) ? context.PasswordSetting : null,
            };
            owned = null!;

            // Every certificate that is sent must be valid now: servers reject the whole chain for an expired intermediate.
            ClientCertificateInspector.InspectSentIntermediates(context.Names, source, result.Context.IntermediateCertificates, context.Now, problems);
            if (problems.Count > 0 && !context.ReportOnly)
            {
                result.Dispose();
                throw ClientCertificateException.Combine(context.ClientName, problems);
            }

            return result;
        }
        finally
        {
            DisposeAll(owned);
        }
    }

    public static void DisposeAll(IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>? certificates)
    {
        foreach (var certificate in certificates ?? [])
        {
            certificate?.Dispose();
        }
    }
}
