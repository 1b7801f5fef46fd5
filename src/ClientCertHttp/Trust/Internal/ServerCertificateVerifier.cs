using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Trust;

/// <summary>
/// The client's <see cref="RemoteCertificateValidationCallback"/>, built once per options instance. It never builds a
/// chain: it reads the chain SslStream already built with the client's <see cref="X509ChainPolicy"/> (custom roots,
/// revocation, timeout), adds the checks the platform does not make, runs the validators, and rejects by throwing a
/// <see cref="ServerCertificateValidationException"/>, which SocketsHttpHandler surfaces as the inner exception of
/// the request's <see cref="HttpRequestException"/>.
/// </summary>
internal sealed class ServerCertificateVerifier
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private const string BasicConstraintsOid = "2.5.29.19";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string DsaOid = "1.2.840.10040.4.1";
    private const int MinimumEcKeySize = 256;

    // sha1RSA, ecdsa-with-SHA1, dsa-with-sha1, md5RSA, md2RSA.
    internal static readonly HashSet<string> WeakSignatureAlgorithms =
        new(["1.2.840.113549.1.1.5", "1.2.840.10045.4.1", "1.2.840.10040.4.3", "1.2.840.113549.1.1.4", "1.2.840.113549.1.1.2"], StringComparer.Ordinal);

    private readonly string _clientName;
    private readonly ServerTrustSettings _settings;
    private readonly IServerCertificateValidator[] _validators;
    private readonly ILogger _logger;
    private readonly ClientCertHttpInstruments? _instruments;

    // The last leaf (with the host it was checked for) that passed the leaf checks (strictness, host name against the
    // subject alternative names, allowed identities), and the last chain (every element's DER, leaf first) that passed
    // the chain checks (CA keys, name constraints): they depend on nothing but those bytes and the settings. A client
    // usually talks to few servers, so the same certificates come back on every handshake; comparing bytes avoids
    // re-reading their extensions and keys, which allocates.
    private volatile AcceptedLeaf? _lastAcceptedLeaf;
    private volatile byte[][]? _lastAcceptedChain;

    public ServerCertificateVerifier(string clientName, ServerTrustSettings settings, IServerCertificateValidator[] validators, ILogger logger, ClientCertHttpInstruments? instruments = null)
    {
        _instruments = instruments;
        _clientName = clientName;
        _settings = settings;
        _validators = validators;
        _logger = logger;
        // CA5359 is a false positive here: Validate rejects by throwing a typed ServerCertificateValidationException (so
        // the caller learns which check failed), which the analyzer does not count as a rejection. It returns true
        // only after every check passed, or under the environment-fenced DangerousAcceptAnyServerCertificate.
#pragma warning disable CA5359
        Callback = ValidateAndCount;
        UncountedCallback = Validate;
#pragma warning restore CA5359
    }

    /// <summary>Gets the callback, one delegate instance shared by every handler of the client; rejections are counted in the client's metrics.</summary>
    public RemoteCertificateValidationCallback Callback { get; }

    /// <summary>Gets the same validation without counting rejections, for the diagnosis's extra handshake, which must not count a rejection twice.</summary>
    public RemoteCertificateValidationCallback UncountedCallback { get; }

    private bool ValidateAndCount(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        try
        {
            return Validate(sender, certificate, chain, sslPolicyErrors);
        }
        catch (ServerCertificateValidationException ex)
        {
            _instruments?.ServerCertificateRejected(_clientName, ex.Reason);
            throw;
        }
    }

    internal bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        var targetHost = (sender as SslStream)?.TargetHostName ?? string.Empty;
        if (certificate is not X509Certificate2 leaf || chain is null || (sslPolicyErrors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            throw Reject(targetHost, null, ServerCertificateFailureReason.NoCertificate, "the server sent no certificate.");
        }

        Failure? failure;
        var replaceable = false;
        if (_settings.DangerousAcceptAny)
        {
            // Nothing validated the chain the server sent, so only the leaf's own key can match a pin.
            failure = CheckPins(leaf, chain, leafOnly: true) ?? CheckIdentities(leaf);
        }
        else
        {
            // Validators may replace the verdict on the chain (with the explicit opt-in), never the rules that do not
            // depend on it: pins, allowed identities and the leaf rules run whatever the chain's verdict.
            var chainFailure = CheckChain(chain, sslPolicyErrors) ?? CheckChainElementsOnce(chain);
            var otherFailure = CheckLeafOnce(leaf, targetHost) ?? CheckPins(leaf, chain, leafOnly: false);
            // With validators that may replace the chain's verdict, the rule they cannot waive is the one to report.
            failure = _settings.ValidatorsReplaceBuiltInVerdict ? otherFailure ?? chainFailure : chainFailure ?? otherFailure;

            // Host name validation is never replaceable: only the environment-fenced Dangerous switch turns it off.
            replaceable = _settings.ValidatorsReplaceBuiltInVerdict
                && otherFailure is null
                && (sslPolicyErrors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        }

        if (_validators.Length > 0 && (failure is null || replaceable))
        {
            var context = new ServerCertificateValidationContext(_clientName, targetHost, leaf, chain, sslPolicyErrors, failure?.Reason);
            foreach (var validator in _validators)
            {
                ServerCertificateValidationResult result;
                try
                {
                    result = validator.Validate(context);
                }
                catch (Exception ex)
                {
                    throw Reject(targetHost, leaf, ServerCertificateFailureReason.ValidatorRejected, $"the validator {validator.GetType().FullName} threw {ex.GetType().Name}: {ex.Message}");
                }

                if (!result.IsAccepted)
                {
                    throw Reject(targetHost, leaf, ServerCertificateFailureReason.ValidatorRejected, $"the validator {validator.GetType().FullName} rejected it: {result.FailureReason}");
                }
            }

            // Every validator accepted: with the explicit opt-in, that replaces the built-in verdict.
            failure = null;
        }

        if (failure is { } failed)
        {
            throw Reject(targetHost, leaf, failed.Reason, failed.Detail);
        }

        if (_settings.DangerousAcceptAny)
        {
            Log.DangerousServerCertificateAccepted(_logger, _clientName, leaf.Subject, leaf.Thumbprint, targetHost, sslPolicyErrors);
        }

        return true;
    }

    private static string DescribeStatus(X509ChainStatus[] statuses) =>
        string.Join("; ", statuses.Select(s => $"{s.Status} ({s.StatusInformation.Trim()})"));

    private static X509ChainStatusFlags Flags(X509ChainStatus[] statuses)
    {
        var flags = X509ChainStatusFlags.NoError;
        foreach (var status in statuses)
        {
            flags |= status.Status;
        }

        return flags;
    }

    private Failure? CheckChain(X509Chain chain, SslPolicyErrors sslPolicyErrors)
    {
        if ((sslPolicyErrors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            var statuses = chain.ChainStatus;
            var flags = Flags(statuses);
            if (!(flags == X509ChainStatusFlags.UntrustedRoot && EndsAtCustomRoot(chain)))
            {
                return new Failure(ClassifyChain(chain, flags), "the chain is not valid: " + DescribeStatus(statuses) + ".");
            }
        }

        if ((sslPolicyErrors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return new Failure(ServerCertificateFailureReason.NameMismatch, "the certificate is not issued for this host name (no matching subject alternative name).");
        }

        return null;
    }

    private bool EndsAtCustomRoot(X509Chain chain)
    {
        if (!_settings.AcceptCustomRootsInSystemMode)
        {
            return false;
        }

        var elements = chain.ChainElements;
        if (elements.Count == 0)
        {
            return false;
        }

        var root = elements[^1].Certificate.RawDataMemory.Span;
        foreach (var custom in _settings.CustomRoots)
        {
            if (root.SequenceEqual(custom.RawDataMemory.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static ServerCertificateFailureReason ClassifyChain(X509Chain chain, X509ChainStatusFlags flags)
    {
        if ((flags & X509ChainStatusFlags.Revoked) != 0)
        {
            return ServerCertificateFailureReason.Revoked;
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            foreach (var element in chain.ChainElements)
            {
                if (Flags(element.ChainElementStatus).HasFlag(X509ChainStatusFlags.NotTimeValid))
                {
                    return element.Certificate.NotBefore > DateTime.Now
                        ? ServerCertificateFailureReason.NotYetValid
                        : ServerCertificateFailureReason.Expired;
                }
            }

            return ServerCertificateFailureReason.Expired;
        }

        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
        {
            return ServerCertificateFailureReason.NotValidForServerAuthentication;
        }

        if ((flags & X509ChainStatusFlags.UntrustedRoot) != 0)
        {
            return ServerCertificateFailureReason.UntrustedRoot;
        }

        if ((flags & X509ChainStatusFlags.PartialChain) != 0)
        {
            return ServerCertificateFailureReason.PartialChain;
        }

        if ((flags & (X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation)) != 0)
        {
            return ServerCertificateFailureReason.RevocationUnknown;
        }

        return ServerCertificateFailureReason.InvalidChain;
    }

    private Failure? CheckLeaf(X509Certificate2 leaf)
    {
        if (!_settings.AllowSha1 && WeakSignatureAlgorithms.Contains(leaf.SignatureAlgorithm.Value ?? string.Empty))
        {
            return new Failure(
                ServerCertificateFailureReason.WeakSignatureAlgorithm,
                $"the certificate is signed with {leaf.SignatureAlgorithm.FriendlyName ?? leaf.SignatureAlgorithm.Value}, which is no longer collision resistant (ServerTrust:AllowSha1SignedServerCertificate relaxes this).");
        }

        if (DescribeWeakKey(leaf) is { } weakKey)
        {
            return new Failure(ServerCertificateFailureReason.WeakKey, $"it has {weakKey}.");
        }

        if (!_settings.AllowWithoutSubjectAlternativeName && !HasDnsOrIpName(leaf, out var sanPresent))
        {
            return new Failure(
                ServerCertificateFailureReason.MissingSubjectAlternativeName,
                sanPresent
                    ? "its subject alternative names hold no DNS name and no IP address (only URIs, e-mail addresses or other names), so its host name could only match the common name, which RFC 6125 and browsers no longer accept (ServerTrust:AllowServerCertificateWithoutSubjectAlternativeName relaxes this)."
                    : "it has no subject alternative name, so its host name could only match the common name, which RFC 6125 and browsers no longer accept (ServerTrust:AllowServerCertificateWithoutSubjectAlternativeName relaxes this).");
        }

        var isCertificateAuthority = leaf.Extensions[BasicConstraintsOid] is X509BasicConstraintsExtension { CertificateAuthority: true };
        if (!_settings.AllowCertificateAuthority && isCertificateAuthority)
        {
            return new Failure(
                ServerCertificateFailureReason.CertificateAuthorityAsServerCertificate,
                "it is a CA certificate (basic constraints CA:TRUE); a server that holds a CA key can issue certificates for other names (ServerTrust:AllowCertificateAuthorityAsServerCertificate relaxes this).");
        }

        // A CA certificate accepted as the server's carries keyCertSign by definition: that relaxation covers it.
        if (!_settings.AllowCertificateSigningKey && !isCertificateAuthority
            && leaf.Extensions[KeyUsageOid] is X509KeyUsageExtension usage && (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) != 0)
        {
            return new Failure(
                ServerCertificateFailureReason.CertificateSigningKeyAsServerCertificate,
                "its key usage includes keyCertSign although it is not a CA certificate: its key is meant to sign certificates, not to serve TLS (ServerTrust:AllowCertificateSigningKeyAsServerCertificate relaxes this).");
        }

        return CheckExtendedKeyUsage(leaf);
    }

    /// <summary>
    /// Requires serverAuth in the leaf's extended key usage. The platform takes a missing extension for "any usage", and
    /// its verdict on a present one is the chain's, which validators may replace; this rule is the leaf's own.
    /// </summary>
    private Failure? CheckExtendedKeyUsage(X509Certificate2 leaf)
    {
        if (leaf.Extensions[ExtendedKeyUsageOid] is not { } extension)
        {
            return _settings.AllowWithoutExtendedKeyUsage
                ? null
                : new Failure(
                    ServerCertificateFailureReason.MissingServerAuthenticationUsage,
                    "it has no extended key usage extension, so nothing says it is meant for TLS server authentication; a server certificate must list serverAuth (1.3.6.1.5.5.7.3.1) (ServerTrust:AllowServerCertificateWithoutExtendedKeyUsage relaxes this).");
        }

        try
        {
            var usages = extension as X509EnhancedKeyUsageExtension ?? new X509EnhancedKeyUsageExtension(extension, extension.Critical);
            foreach (var oid in usages.EnhancedKeyUsages)
            {
                if (string.Equals(oid.Value, ServerAuthenticationOid, StringComparison.Ordinal))
                {
                    return null;
                }
            }
        }
        catch (CryptographicException)
        {
            // A malformed extension lists nothing.
        }

        return new Failure(
            ServerCertificateFailureReason.NotValidForServerAuthentication,
            "its extended key usage does not list serverAuth (1.3.6.1.5.5.7.3.1); anyExtendedKeyUsage alone does not make a server certificate.");
    }

    /// <summary>
    /// Says what is weak about the certificate's key ("an RSA key of 1024 bits, …"), or <see langword="null"/>: RSA
    /// under the configured minimum, an elliptic curve under 256 bits, or DSA. Other algorithms are the platform's.
    /// </summary>
    private string? DescribeWeakKey(X509Certificate2 certificate)
    {
        switch (certificate.PublicKey.Oid.Value)
        {
            case RsaOid:
                using (var rsa = certificate.GetRSAPublicKey())
                {
                    return rsa is not null && rsa.KeySize < _settings.MinimumRsaKeySize
                        ? $"an RSA key of {rsa.KeySize} bits, fewer than the {_settings.MinimumRsaKeySize} required (ServerTrust:MinimumRsaKeySize)"
                        : null;
                }

            case EcPublicKeyOid:
                try
                {
                    using var ec = certificate.GetECDsaPublicKey();
                    return ec is not null && ec.KeySize < MinimumEcKeySize
                        ? $"an elliptic-curve key on a {ec.KeySize}-bit curve; at least {MinimumEcKeySize} bits (P-256) are required"
                        : null;
                }
                catch (CryptographicException)
                {
                    // A curve the platform cannot load is the platform's to judge, as for any other unknown algorithm.
                    return null;
                }

            case DsaOid:
                return "a DSA key; DSA is withdrawn (FIPS 186-5) and no longer accepted";
            default:
                return null;
        }
    }

    /// <summary>The checks of the CA certificates of the chain: their keys, and their name constraints over the leaf's names.</summary>
    private Failure? CheckChainElementsOnce(X509Chain chain)
    {
        var elements = chain.ChainElements;
        if (_lastAcceptedChain is { } known && SameChain(known, elements))
        {
            return null;
        }

        for (var i = 1; i < elements.Count; i++)
        {
            var certificate = elements[i].Certificate;
            if (DescribeWeakKey(certificate) is { } weakKey)
            {
                var role = i == elements.Count - 1 ? "root" : "intermediate";
                return new Failure(ServerCertificateFailureReason.WeakKey, $"its chain's {role} '{certificate.Subject}' has {weakKey}.");
            }
        }

        if (NameConstraints.Check(elements, _settings.AllowWildcardNameConstraintOverlap) is { } violation)
        {
            return new Failure(ServerCertificateFailureReason.NameConstraintViolation, violation);
        }

        var accepted = new byte[elements.Count][];
        for (var i = 0; i < accepted.Length; i++)
        {
            accepted[i] = elements[i].Certificate.RawData;
        }

        _lastAcceptedChain = accepted;
        return null;
    }

    private static bool SameChain(byte[][] known, X509ChainElementCollection elements)
    {
        if (known.Length != elements.Count)
        {
            return false;
        }

        for (var i = 0; i < known.Length; i++)
        {
            if (!elements[i].Certificate.RawDataMemory.Span.SequenceEqual(known[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Never lets the common name stand in for the host name when the leaf has a subject alternative name extension
    /// (RFC 6125 section 6.4.4). The platform falls back to the common name when the extension holds no entry of the
    /// host's kind: only URIs, or only IP addresses for a host name, or only DNS names for an IP address.
    /// </summary>
    private static Failure? CheckHostName(X509Certificate2 leaf, string targetHost)
    {
        if (targetHost.Length == 0 || leaf.Extensions[SubjectAlternativeNameOid] is null)
        {
            return null;
        }

        bool matches;
        try
        {
            var host = System.Net.IPAddress.TryParse(targetHost, out _) ? targetHost : IdnHost(targetHost);
            matches = leaf.MatchesHostname(host, allowWildcards: true, allowCommonName: false);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            matches = false;
        }

        return matches
            ? null
            : new Failure(
                ServerCertificateFailureReason.NameMismatch,
                $"none of its subject alternative names matches the host '{targetHost}'; only its common name does, and the common name is never matched when a subject alternative name extension is present (RFC 6125).");
    }

    private static string IdnHost(string host)
    {
        try
        {
            return new System.Globalization.IdnMapping().GetAscii(host);
        }
        catch (ArgumentException)
        {
            return host;
        }
    }

    /// <summary>
    /// Tells whether the leaf names a host the way a host name check may use: a DNS name or an IP address in its
    /// subject alternative names. Without one the platform falls back to the common name.
    /// </summary>
    private static bool HasDnsOrIpName(X509Certificate2 leaf, out bool sanPresent)
    {
        var extension = leaf.Extensions[SubjectAlternativeNameOid];
        sanPresent = extension is not null;
        if (extension is null)
        {
            return false;
        }

        try
        {
            var names = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
            return names.EnumerateDnsNames().Any() || names.EnumerateIPAddresses().Any();
        }
        catch (CryptographicException)
        {
            // A malformed extension names nothing usable.
            return false;
        }
    }

    private Failure? CheckLeafOnce(X509Certificate2 leaf, string targetHost)
    {
        var raw = leaf.RawDataMemory.Span;
        if (_lastAcceptedLeaf is { } known && string.Equals(known.Host, targetHost, StringComparison.Ordinal) && raw.SequenceEqual(known.Der))
        {
            return null;
        }

        var failure = CheckLeaf(leaf) ?? CheckHostName(leaf, targetHost) ?? CheckIdentities(leaf);
        if (failure is null)
        {
            _lastAcceptedLeaf = new AcceptedLeaf(raw.ToArray(), targetHost);
        }

        return failure;
    }

    private Failure? CheckPins(X509Certificate2 leaf, X509Chain chain, bool leafOnly)
    {
        if (_settings.Pins.Length > 0 && !ChainHasPinnedKey(leaf, chain, leafOnly))
        {
            return new Failure(
                ServerCertificateFailureReason.PinMismatch,
                leafOnly
                    ? $"its own public key is not one of the {_settings.Pins.Length} pinned public key(s) (ServerTrust:PinnedPublicKeys): under DangerousAcceptAnyServerCertificate nothing validated its chain, so only the leaf's key is matched; the leaf's pin is {Convert.ToBase64String(SpkiSha256(leaf))}."
                    : $"no certificate of its chain has one of the {_settings.Pins.Length} pinned public key(s) (ServerTrust:PinnedPublicKeys); the leaf's pin is {Convert.ToBase64String(SpkiSha256(leaf))}.");
        }

        return null;
    }

    private Failure? CheckIdentities(X509Certificate2 leaf)
    {
        if (_settings.AllowedIdentities.Length > 0 && ServerIdentity.FindMatch(_settings.AllowedIdentities, leaf) is null)
        {
            ServerIdentity.ReadSubjectAlternativeNames(leaf, out var dnsNames, out var uris);
            var has = string.Join(", ", dnsNames.Select(n => "dns:" + n).Concat(uris.Select(u => "uri:" + u)).Append("subject:" + leaf.Subject));
            return new Failure(
                ServerCertificateFailureReason.IdentityNotAllowed,
                $"it matches none of the allowed server identities (ServerTrust:AllowedServerIdentities: {string.Join(", ", _settings.AllowedIdentities.Select(i => i.Original))}); it has {has}.");
        }

        return null;
    }

    private bool ChainHasPinnedKey(X509Certificate2 leaf, X509Chain chain, bool leafOnly)
    {
        Span<byte> hash = stackalloc byte[32];
        var elements = chain.ChainElements;
        var count = leafOnly ? 0 : elements.Count;
        for (var i = -1; i < count; i++)
        {
            // The leaf is checked first, and even when the chain is empty.
            var certificate = i < 0 ? leaf : elements[i].Certificate;
            SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo(), hash);
            foreach (var pin in _settings.Pins)
            {
                if (hash.SequenceEqual(pin))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static byte[] SpkiSha256(X509Certificate2 certificate) => SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    private ServerCertificateValidationException Reject(string targetHost, X509Certificate2? leaf, ServerCertificateFailureReason reason, string detail)
    {
        var subject = leaf?.Subject;
        var thumbprint = leaf?.Thumbprint;
        Log.ServerCertificateRejected(_logger, _clientName, subject, thumbprint, targetHost, reason, detail);
        return new ServerCertificateValidationException(_clientName, reason, targetHost, subject, thumbprint, detail);
    }

    private readonly record struct Failure(ServerCertificateFailureReason Reason, string Detail);

    private sealed record AcceptedLeaf(byte[] Der, string Host);
}
