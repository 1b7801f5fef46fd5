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
    private const string RsaOid = "1.2.840.113549.1.1.1";

    // sha1RSA, ecdsa-with-SHA1, dsa-with-sha1, md5RSA, md2RSA.
    internal static readonly HashSet<string> WeakSignatureAlgorithms =
        new(["1.2.840.113549.1.1.5", "1.2.840.10045.4.1", "1.2.840.10040.4.3", "1.2.840.113549.1.1.4", "1.2.840.113549.1.1.2"], StringComparer.Ordinal);

    private readonly string _clientName;
    private readonly ServerTrustSettings _settings;
    private readonly IServerCertificateValidator[] _validators;
    private readonly ILogger _logger;
    private readonly ClientCertHttpInstruments? _instruments;

    // The DER of the last leaf that passed the leaf-only checks (strictness and allowed identities), which depend on
    // nothing but the leaf's bytes and the settings. A client usually talks to few servers, so the same certificate
    // comes back on every handshake; comparing bytes avoids re-reading its extensions, which allocates.
    private volatile byte[]? _lastAcceptedLeaf;

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
            var chainFailure = CheckChain(chain, sslPolicyErrors);
            var otherFailure = CheckLeafOnce(leaf) ?? CheckPins(leaf, chain, leafOnly: false);
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

        if (string.Equals(leaf.PublicKey.Oid.Value, RsaOid, StringComparison.Ordinal))
        {
            using var rsa = leaf.GetRSAPublicKey();
            if (rsa is not null && rsa.KeySize < _settings.MinimumRsaKeySize)
            {
                return new Failure(
                    ServerCertificateFailureReason.WeakKey,
                    $"its RSA key has {rsa.KeySize} bits, fewer than the {_settings.MinimumRsaKeySize} required (ServerTrust:MinimumRsaKeySize).");
            }
        }

        if (!_settings.AllowWithoutSubjectAlternativeName && !HasDnsOrIpName(leaf, out var sanPresent))
        {
            return new Failure(
                ServerCertificateFailureReason.MissingSubjectAlternativeName,
                sanPresent
                    ? "its subject alternative names hold no DNS name and no IP address (only URIs, e-mail addresses or other names), so its host name could only match the common name, which RFC 6125 and browsers no longer accept (ServerTrust:AllowServerCertificateWithoutSubjectAlternativeName relaxes this)."
                    : "it has no subject alternative name, so its host name could only match the common name, which RFC 6125 and browsers no longer accept (ServerTrust:AllowServerCertificateWithoutSubjectAlternativeName relaxes this).");
        }

        if (!_settings.AllowCertificateAuthority && leaf.Extensions[BasicConstraintsOid] is X509BasicConstraintsExtension { CertificateAuthority: true })
        {
            return new Failure(
                ServerCertificateFailureReason.CertificateAuthorityAsServerCertificate,
                "it is a CA certificate (basic constraints CA:TRUE); a server that holds a CA key can issue certificates for other names (ServerTrust:AllowCertificateAuthorityAsServerCertificate relaxes this).");
        }

        return null;
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

    private Failure? CheckLeafOnce(X509Certificate2 leaf)
    {
        var raw = leaf.RawDataMemory.Span;
        if (_lastAcceptedLeaf is { } known && raw.SequenceEqual(known))
        {
            return null;
        }

        var failure = CheckLeaf(leaf) ?? CheckIdentities(leaf);
        if (failure is null)
        {
            _lastAcceptedLeaf = raw.ToArray();
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
}
