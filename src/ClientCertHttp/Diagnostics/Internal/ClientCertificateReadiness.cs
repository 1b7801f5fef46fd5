using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Makes a <see cref="ClientCertificateReadinessReport"/>: a pure function of a loaded certificate, the certificates
/// its source held, the options and the time. It builds one chain offline (no download, no revocation check), so it
/// runs once per loaded certificate, never per request.
/// </summary>
internal static class ClientCertificateReadiness
{
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";
    private const int MinimumRsaKeySize = 2048;

    public static ClientCertificateReadinessReport Analyze(string? clientName, LoadedClientCertificate loaded, ClientCertHttpOptions options, DateTimeOffset now) =>
        Analyze(clientName, loaded.Source, loaded.Certificate, loaded.Context.IntermediateCertificates, loaded.SourceCertificates, options, now, loaded.PasswordFileWithSurroundingWhitespace);

    /// <param name="clientName">The client, or <see langword="null"/> outside a client.</param>
    /// <param name="source">Where the certificate came from (never a secret).</param>
    /// <param name="leaf">The client certificate.</param>
    /// <param name="sentIntermediates">The intermediates the TLS context sends, or <see langword="null"/> to derive them as the context would.</param>
    /// <param name="sourceCertificates">Every certificate the source held, the leaf included.</param>
    /// <param name="options">The client's options (expiry window, password check).</param>
    /// <param name="now">The time the report is made at.</param>
    /// <param name="passwordFileWithSurroundingWhitespace">The password file the certificate was opened with, when its content begins or ends with white space.</param>
    public static ClientCertificateReadinessReport Analyze(
        string? clientName,
        string source,
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2>? sentIntermediates,
        X509Certificate2Collection sourceCertificates,
        ClientCertHttpOptions options,
        DateTimeOffset now,
        string? passwordFileWithSurroundingWhitespace = null)
    {
        var path = BuildPath(leaf, sourceCertificates, now);
        try
        {
            var findings = new List<ClientCertificateReadinessFinding>();
            var last = path.Count > 0 ? path[^1] : leaf;
            var lastIsRoot = IsSelfSigned(last);

            // As SslStreamCertificateContext does on Linux: everything above the leaf, without a self-signed root.
            var sent = sentIntermediates ?? path.Skip(1).Take(path.Count - 1 - (lastIsRoot && path.Count > 1 ? 1 : 0)).ToList();
            var sentChain = new List<ClientCertificateChainElement> { new(leaf) };
            sentChain.AddRange(sent.Select(c => new ClientCertificateChainElement(c)));

            var fromStore = sent.Where(c => !Contains(sourceCertificates, c)).ToList();
            ClientCertificateChainStatus chainStatus;
            ClientCertificateChainElement? root = null;
            string? missingIssuer = null;
            List<string> downloadUrls = [];
            if (lastIsRoot)
            {
                root = new ClientCertificateChainElement(last);
                chainStatus = fromStore.Count > 0 ? ClientCertificateChainStatus.CompleteWithSystemStore : ClientCertificateChainStatus.Complete;
            }
            else
            {
                chainStatus = ClientCertificateChainStatus.EndsAtIntermediate;
                missingIssuer = last.Issuer;
                downloadUrls = CaIssuerUrls(last);

                // Intermediates sent and only the root unknown here is the usual, working setup (the server holds the
                // root). The leaf sent alone is the classic "intermediate not sent" failure, unless its issuer is the root.
                if (sent.Count == 0)
                {
                    var download = downloadUrls.Count > 0
                        ? $" It could only be downloaded from {string.Join(", ", downloadUrls)} (AIA), which TLS servers rarely do."
                        : string.Empty;
                    findings.Add(Warning(
                        ClientCertificateReadinessCode.ChainIncomplete,
                        $"the handshake sends the certificate alone: its issuer '{last.Issuer}' is neither in {source} nor in this machine's certificate stores.{download} If that issuer is an intermediate CA, a server that trusts only the root rejects the certificate: add the intermediate(s) to the certificate source. If it is the root the server trusts, nothing is missing."));
                }
            }

            if (fromStore.Count > 0)
            {
                findings.Add(Warning(
                    ClientCertificateReadinessCode.ChainDependsOnSystemStore,
                    $"the intermediate(s) {Subjects(fromStore)} are sent but come from this machine's certificate stores, not from {source}; on a machine without them the chain sent is shorter and servers that trust only the root reject it. Put the intermediates in the certificate source."));
            }

            CheckValidity(leaf, options.ExpiryWarningWindow, now, findings);
            CheckSentIntermediates(sent, now, findings);
            CheckAlgorithms(leaf, sent, root is null ? null : last, findings);
            var (verdict, ekus) = Usage(leaf);
            if (verdict == ClientCertificateUsageVerdict.NotForClientAuthentication)
            {
                findings.Add(Error(
                    ClientCertificateReadinessCode.NotForClientAuthentication,
                    $"the extended key usage [{string.Join(", ", ekus)}] does not allow TLS client authentication ({ClientCertificateInspector.ClientAuthenticationOid}); servers reject it. Ask the issuing CA for a certificate with the clientAuth extended key usage."));
            }
            else if (verdict == ClientCertificateUsageVerdict.MissingDigitalSignature)
            {
                findings.Add(Error(
                    ClientCertificateReadinessCode.MissingDigitalSignatureUsage,
                    "the key usage lacks digitalSignature, which the client needs to sign the TLS handshake. Ask the issuing CA for a certificate with the digitalSignature key usage."));
            }

            if (HasSurroundingWhitespace(options.Certificate?.Password))
            {
                findings.Add(PasswordWhitespaceWarning(SettingNames.For(clientName ?? "(none)", options)["Certificate:Password"]));
            }

            if (passwordFileWithSurroundingWhitespace is not null)
            {
                findings.Add(PasswordWhitespaceWarning("the content of " + passwordFileWithSurroundingWhitespace));
            }

            return new ClientCertificateReadinessReport(
                clientName,
                source,
                now,
                sentChain[0],
                sentChain,
                chainStatus,
                root,
                missingIssuer,
                downloadUrls,
                verdict,
                ekus,
                findings);
        }
        finally
        {
            foreach (var certificate in path)
            {
                certificate.Dispose();
            }
        }
    }

    /// <summary>Builds the chain offline (source certificates, then the machine's stores); the caller disposes the elements.</summary>
    private static List<X509Certificate2> BuildPath(X509Certificate2 leaf, X509Certificate2Collection sourceCertificates, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;

        // The path is what matters here, not a trust verdict: the server decides trust with its own roots.
        policy.VerificationFlags = X509VerificationFlags.AllFlags;
        policy.VerificationTime = now.UtcDateTime;
        foreach (var candidate in sourceCertificates)
        {
            if (!ReferenceEquals(candidate, leaf))
            {
                policy.ExtraStore.Add(candidate);
            }
        }

        chain.Build(leaf);
        var path = new List<X509Certificate2>(chain.ChainElements.Count);
        foreach (var element in chain.ChainElements)
        {
            path.Add(element.Certificate);
        }

        return path;
    }

    private static void CheckValidity(X509Certificate2 leaf, TimeSpan window, DateTimeOffset now, List<ClientCertificateReadinessFinding> findings)
    {
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        if (now >= notAfter)
        {
            findings.Add(Error(ClientCertificateReadinessCode.Expired, $"the certificate expired on {notAfter:u}; servers reject it. Renew it."));
        }
        else if (now < notBefore)
        {
            findings.Add(Error(ClientCertificateReadinessCode.NotYetValid, $"the certificate is not valid before {notBefore:u}; servers reject it until then. Check the machine's clock."));
        }
        else if (notAfter - now <= window)
        {
            findings.Add(Warning(
                ClientCertificateReadinessCode.ExpiresSoon,
                string.Create(CultureInfo.InvariantCulture, $"the certificate expires on {notAfter:u}, in {(notAfter - now).TotalDays:F1} days (ExpiryWarningWindow is {window}). Renew it; a renewed file is picked up without a restart.")));
        }
    }

    private static void CheckSentIntermediates(IReadOnlyList<X509Certificate2> sent, DateTimeOffset now, List<ClientCertificateReadinessFinding> findings)
    {
        foreach (var intermediate in sent)
        {
            var notAfter = new DateTimeOffset(intermediate.NotAfter.ToUniversalTime());
            var notBefore = new DateTimeOffset(intermediate.NotBefore.ToUniversalTime());
            if (now >= notAfter)
            {
                findings.Add(Error(ClientCertificateReadinessCode.IntermediateExpired, $"the intermediate '{intermediate.Subject}' (thumbprint {intermediate.Thumbprint}) that is sent with the certificate expired on {notAfter:u}; servers reject the whole chain. Replace it with the CA's current intermediate."));
            }
            else if (now < notBefore)
            {
                findings.Add(Error(ClientCertificateReadinessCode.IntermediateNotYetValid, $"the intermediate '{intermediate.Subject}' (thumbprint {intermediate.Thumbprint}) that is sent with the certificate is not valid before {notBefore:u}; servers reject the whole chain until then."));
            }
        }
    }

    private static void CheckAlgorithms(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sent, X509Certificate2? root, List<ClientCertificateReadinessFinding> findings)
    {
        // A root's own signature is not checked by TLS peers (it is the trust anchor); every other signature is.
        foreach (var certificate in sent.Prepend(leaf))
        {
            if (ServerCertificateVerifier.WeakSignatureAlgorithms.Contains(certificate.SignatureAlgorithm.Value ?? string.Empty))
            {
                findings.Add(Warning(
                    ClientCertificateReadinessCode.WeakSignatureAlgorithm,
                    $"'{certificate.Subject}' is signed with {certificate.SignatureAlgorithm.FriendlyName ?? certificate.SignatureAlgorithm.Value}, which is no longer collision resistant; servers with current TLS defaults (OpenSSL security level 1 and above) reject it. Ask the CA to re-issue it with SHA-256."));
            }
        }

        foreach (var certificate in root is null ? sent.Prepend(leaf) : sent.Prepend(leaf).Append(root))
        {
            using var rsa = certificate.GetRSAPublicKey();
            if (rsa is not null && rsa.KeySize < MinimumRsaKeySize)
            {
                findings.Add(Warning(
                    ClientCertificateReadinessCode.WeakRsaKey,
                    $"'{certificate.Subject}' has an RSA key of {rsa.KeySize} bits, fewer than {MinimumRsaKeySize}; servers with current TLS defaults (OpenSSL security level 2) reject it. Use a 2048-bit or larger RSA key, or ECDSA."));
            }
        }
    }

    /// <summary>The warning for a password that begins or ends with white space: only the fact, never the password, its length or any of its characters.</summary>
    /// <param name="where">The setting, or the password file, the password came from.</param>
    private static ClientCertificateReadinessFinding PasswordWhitespaceWarning(string where) =>
        Warning(
            ClientCertificateReadinessCode.PasswordHasSurroundingWhitespace,
            $"{where} begins or ends with white space or contains a line break. The certificate loaded with it, so it may be intended; but a trailing newline usually comes from a secret file or 'echo' and breaks the next renewal exported without it. Check how the secret is written.");

    /// <summary>Tells whether a password begins or ends with white space or holds a line break (a fact safe to report).</summary>
    public static bool HasSurroundingWhitespace(string? password) =>
        !string.IsNullOrEmpty(password)
        && (char.IsWhiteSpace(password[0]) || char.IsWhiteSpace(password[^1]) || password.AsSpan().IndexOfAny('\r', '\n') >= 0);

    /// <summary>Adds the whitespace fact to a wrong-password message, where it is the most likely cause.</summary>
    public static string PasswordWhitespaceHint(string? password) =>
        HasSurroundingWhitespace(password)
            ? " (it begins or ends with white space or contains a line break: check for a newline added by the secret source)"
            : string.Empty;

    private static (ClientCertificateUsageVerdict Verdict, IReadOnlyList<string> Ekus) Usage(X509Certificate2 leaf)
    {
        var verdict = ClientCertificateUsageVerdict.Unrestricted;
        var ekus = new List<string>();
        var keyUsageOk = true;
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                verdict = ClientCertificateUsageVerdict.NotForClientAuthentication;
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    ekus.Add(oid.Value ?? string.Empty);
                    if (oid.Value == ClientCertificateInspector.ClientAuthenticationOid)
                    {
                        verdict = ClientCertificateUsageVerdict.ClientAuthentication;
                    }
                    else if (oid.Value == AnyExtendedKeyUsageOid && verdict != ClientCertificateUsageVerdict.ClientAuthentication)
                    {
                        verdict = ClientCertificateUsageVerdict.AnyPurpose;
                    }
                }
            }
            else if (extension is X509KeyUsageExtension keyUsage)
            {
                keyUsageOk = (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) != 0;
            }
        }

        if (!keyUsageOk && verdict != ClientCertificateUsageVerdict.NotForClientAuthentication)
        {
            verdict = ClientCertificateUsageVerdict.MissingDigitalSignature;
        }

        return (verdict, ekus);
    }

    private static List<string> CaIssuerUrls(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509AuthorityInformationAccessExtension aia)
            {
                return aia.EnumerateCAIssuersUris().ToList();
            }
        }

        return [];
    }

    private static bool IsSelfSigned(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static bool Contains(X509Certificate2Collection certificates, X509Certificate2 certificate)
    {
        foreach (var candidate in certificates)
        {
            if (candidate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static string Subjects(IEnumerable<X509Certificate2> certificates) => string.Join(", ", certificates.Select(c => $"'{c.Subject}'"));

    private static ClientCertificateReadinessFinding Warning(ClientCertificateReadinessCode code, string message) =>
        new(code, ClientCertificateReadinessSeverity.Warning, message);

    private static ClientCertificateReadinessFinding Error(ClientCertificateReadinessCode code, string message) =>
        new(code, ClientCertificateReadinessSeverity.Error, message);
}
