using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Everything a client's handlers need for TLS, loaded once per certificate and trust configuration.
/// </summary>
/// <remarks>
/// Reference-counted: the <see cref="ClientCertificateSource"/> holds one reference while the state is current, and
/// every handler built on it holds one (<see cref="TryAcquire"/>) until the handler is disposed after its drain. The
/// certificates are disposed when the last reference is released, so no handshake can ever use a disposed
/// certificate, whatever the drain timeout.
/// </remarks>
internal sealed class ClientTlsState(LoadedClientCertificate? certificate, ServerTrustSettings serverTrust, ServerCertificateVerifier serverVerifier)
{
    // The reference of whoever created the state (the source, or a load that turned out unchanged).
    private int _references = 1;

    /// <summary>
    /// Gets the client certificate, or <see langword="null"/> for a per-identity client without a certificate of its
    /// own (whose every request goes out with an identity's state instead).
    /// </summary>
    public LoadedClientCertificate? Certificate { get; } = certificate;

    /// <summary>Gets the leaf's thumbprint, read once at load: it stays readable after the certificates are disposed.</summary>
    public string Thumbprint { get; } = certificate?.Certificate.Thumbprint ?? string.Empty;

    /// <summary>Gets the server trust settings; their chain policy is cloned into every handler.</summary>
    public ServerTrustSettings ServerTrust { get; } = serverTrust;

    /// <summary>Gets the server certificate validation callback shared by every handler of the client.</summary>
    public ServerCertificateVerifier ServerVerifier { get; } = serverVerifier;

    /// <summary>Gets a value indicating whether the last reference was released and the certificates disposed.</summary>
    public bool IsReleased => Volatile.Read(ref _references) == 0;

    /// <summary>Takes a reference for a handler; fails when the state was already released (a newer one is current).</summary>
    public bool TryAcquire()
    {
        var references = Volatile.Read(ref _references);
        while (references > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }

            references = seen;
        }

        return false;
    }

    /// <summary>Releases one reference; the last one disposes the certificates and trust anchors.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Certificate?.Dispose();
            ServerTrust.Dispose();
        }
    }

    /// <summary>Tells whether another state sends the same client certificate chain (by thumbprint once either is released).</summary>
    public bool SendsSameCertificate(ClientTlsState other) =>
        ReferenceEquals(this, other)
        || (IsReleased || other.IsReleased
            ? string.Equals(Thumbprint, other.Thumbprint, StringComparison.Ordinal)
            : SameCertificate(Certificate, other.Certificate));

    /// <summary>Tells whether another state sends the same certificate chain and trusts the same server roots.</summary>
    public bool HasSameMaterial(ClientTlsState other)
    {
        if (!SameCertificate(Certificate, other.Certificate))
        {
            return false;
        }

        return SameCertificates(ServerTrust.CustomRoots, other.ServerTrust.CustomRoots)
            && SameCertificates(ServerTrust.Intermediates, other.ServerTrust.Intermediates);
    }

    /// <summary>Tells whether two states send the same chain; two states without a certificate send the same nothing.</summary>
    internal static bool SameCertificate(LoadedClientCertificate? mine, LoadedClientCertificate? theirs) =>
        mine is null || theirs is null ? mine is null && theirs is null : mine.HasSameMaterial(theirs);

    private static bool SameCertificates(X509Certificate2Collection mine, X509Certificate2Collection theirs) =>
        mine.Count == theirs.Count
        && mine.Zip(theirs).All(pair => pair.First.RawDataMemory.Span.SequenceEqual(pair.Second.RawDataMemory.Span));
}
