using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Log messages about loading, reloading and watching client certificates (events 1, 10, 40–46, 60–61). They name the client, the source,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 1,
        EventName = "ClientCertificateLoaded",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' loaded its client certificate from {CertificateSource}: subject '{Subject}', thumbprint {Thumbprint}, not after {NotAfter:O}; the handshake sends {ChainLength} certificate(s): {SentChain}.")]
    public static partial void ClientCertificateLoaded(
        ILogger logger,
        string clientName,
        string certificateSource,
        string subject,
        string thumbprint,
        DateTimeOffset notAfter,
        int chainLength,
        string sentChain);

    [LoggerMessage(
        EventId = 10,
        EventName = "ClientCertificateCandidateChosen",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' chose the certificate '{Subject}' (thumbprint {Thumbprint}, not after {NotAfter:O}) among {CandidateCount} candidate(s) from {CertificateSource}: {Reason}.")]
    public static partial void ClientCertificateCandidateChosen(
        ILogger logger,
        string clientName,
        string subject,
        string thumbprint,
        DateTimeOffset notAfter,
        int candidateCount,
        string certificateSource,
        string reason);

    [LoggerMessage(
        EventId = 40,
        EventName = "ClientCertificateReloaded",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' now presents the client certificate '{Subject}' (thumbprint {Thumbprint}, not after {NotAfter:O}) instead of {PreviousThumbprint} ({Trigger}); new requests use it, connections of the previous certificate drain for {DrainTimeout}.")]
    public static partial void ClientCertificateReloaded(
        ILogger logger,
        string clientName,
        string subject,
        string thumbprint,
        DateTimeOffset notAfter,
        string previousThumbprint,
        string trigger,
        TimeSpan drainTimeout);

    [LoggerMessage(
        EventId = 41,
        EventName = "ClientCertificateReloadFailed",
        Level = LogLevel.Error,
        Message = "HTTP client '{ClientName}' could not reload its client certificate ({Trigger}) and keeps the certificate {Thumbprint}: {Problem}")]
    public static partial void ClientCertificateReloadFailed(ILogger logger, string clientName, string trigger, string thumbprint, string problem);

    [LoggerMessage(
        EventId = 42,
        EventName = "ClientCertificateExpiringSoon",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': the client certificate '{Subject}' (thumbprint {Thumbprint}) expires on {NotAfter:O}, in {DaysLeft:F1} days. Renew it; the new file is picked up without a restart.")]
    public static partial void ClientCertificateExpiringSoon(ILogger logger, string clientName, string subject, string thumbprint, DateTimeOffset notAfter, double daysLeft);

    [LoggerMessage(
        EventId = 43,
        EventName = "ClientCertificateExpired",
        Level = LogLevel.Error,
        Message = "HTTP client '{ClientName}': the client certificate '{Subject}' (thumbprint {Thumbprint}) expired on {NotAfter:O}; servers will reject it. Replace the certificate file.")]
    public static partial void ClientCertificateExpired(ILogger logger, string clientName, string subject, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(
        EventId = 45,
        EventName = "ClientCertificateReloadRetryScheduled",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}': reload attempt {FailedAttempts} failed; the certificate source is read again in {Delay} (the certificate {Thumbprint} stays in use meanwhile).")]
    public static partial void ClientCertificateReloadRetryScheduled(ILogger logger, string clientName, int failedAttempts, TimeSpan delay, string thumbprint);

    [LoggerMessage(
        EventId = 46,
        EventName = "CertificateProviderWatchFailed",
        Level = LogLevel.Error,
        Message = "HTTP client '{ClientName}': the certificate provider's GetChangeToken threw {ExceptionType}; its changes are not watched until the next successful reload (file, manual or rejection-triggered reloads still work).")]
    public static partial void CertificateProviderWatchFailed(ILogger logger, string clientName, string exceptionType);

    [LoggerMessage(
        EventId = 60,
        EventName = "ClientCertificateReadiness",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' client certificate readiness: {Status}. '{Subject}' (thumbprint {Thumbprint}, {KeyAlgorithm} {KeySize} bits, valid {NotBefore:O} to {NotAfter:O}) from {CertificateSource}; sends {SentChain}; chain {ChainStatus}; usage {UsageVerdict}; {FindingCount} finding(s){Findings}")]
    public static partial void ClientCertificateReadiness(
        ILogger logger,
        string clientName,
        ClientCertificateReadinessStatus status,
        string subject,
        string thumbprint,
        string keyAlgorithm,
        int keySize,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        string certificateSource,
        string sentChain,
        ClientCertificateChainStatus chainStatus,
        ClientCertificateUsageVerdict usageVerdict,
        int findingCount,
        string findings);

    [LoggerMessage(
        EventId = 61,
        EventName = "ClientCertificateReadinessFinding",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' client certificate readiness {Severity} {Code}: {Finding}")]
    public static partial void ClientCertificateReadinessFinding(
        ILogger logger,
        string clientName,
        ClientCertificateReadinessSeverity severity,
        ClientCertificateReadinessCode code,
        string finding);
}
