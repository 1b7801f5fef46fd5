using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Trust;

/// <summary>
/// Log messages about server trust (events 2, 20–24). They name the client, the source,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 2,
        EventName = "ServerTrustCustomRoots",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' trusts only {RootCount} custom root certificate(s) for the server: {RootSubjects}.")]
    public static partial void ServerTrustCustomRoots(ILogger logger, string clientName, int rootCount, string rootSubjects);

    [LoggerMessage(
        EventId = 20,
        EventName = "ServerCertificateRejected",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' rejected the certificate '{ServerSubject}' (thumbprint {ServerThumbprint}) of the server '{TargetHost}': {Reason}, {Detail}")]
    public static partial void ServerCertificateRejected(
        ILogger logger,
        string clientName,
        string? serverSubject,
        string? serverThumbprint,
        string targetHost,
        ServerCertificateFailureReason reason,
        string detail);

    [LoggerMessage(
        EventId = 21,
        EventName = "DangerousAcceptAnyServerCertificateEnabled",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' has ServerTrust:DangerousAcceptAnyServerCertificate on (environment {EnvironmentName}): it accepts ANY server certificate, so anyone on the network path can impersonate the server. Never use this in production.")]
    public static partial void DangerousAcceptAnyServerCertificateEnabled(ILogger logger, string clientName, string environmentName);

    [LoggerMessage(
        EventId = 22,
        EventName = "DangerousServerCertificateAccepted",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' accepted the certificate '{ServerSubject}' (thumbprint {ServerThumbprint}) of the server '{TargetHost}' WITHOUT validation (DangerousAcceptAnyServerCertificate); the platform reported {SslPolicyErrors}.")]
    public static partial void DangerousServerCertificateAccepted(
        ILogger logger,
        string clientName,
        string? serverSubject,
        string? serverThumbprint,
        string targetHost,
        System.Net.Security.SslPolicyErrors sslPolicyErrors);

    [LoggerMessage(
        EventId = 23,
        EventName = "ValidatorsReplaceBuiltInVerdict",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' lets its {ValidatorCount} server certificate validator(s) replace the built-in verdict (ServerTrust:ValidatorsReplaceBuiltInVerdict): a server is trusted when the validators accept it, even if its chain or the stricter checks fail (the host name check still applies).")]
    public static partial void ValidatorsReplaceBuiltInVerdict(ILogger logger, string clientName, int validatorCount);

    [LoggerMessage(
        EventId = 24,
        EventName = "ServerTrustConfigured",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' validates servers with trust mode {Mode}, revocation {RevocationMode} (timeout {RevocationTimeout}), {PinCount} pinned key(s), {IdentityCount} allowed identities and {ValidatorCount} validator(s).")]
    public static partial void ServerTrustConfigured(
        ILogger logger,
        string clientName,
        ServerTrustMode mode,
        System.Security.Cryptography.X509Certificates.X509RevocationMode revocationMode,
        TimeSpan revocationTimeout,
        int pinCount,
        int identityCount,
        int validatorCount);
}
