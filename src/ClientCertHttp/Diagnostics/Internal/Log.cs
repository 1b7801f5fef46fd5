using ClientCertHttp.Trust;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Log messages about certificates and trust. They name the client, the source, subjects, thumbprints and dates;
/// never passwords or key material.
/// </summary>
internal static partial class Log
{
    /// <summary>The logger category of every ClientCertHttp log message.</summary>
    public const string CategoryName = "ClientCertHttp";

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
        EventId = 2,
        EventName = "ServerTrustCustomRoots",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' trusts only {RootCount} custom root certificate(s) for the server: {RootSubjects}.")]
    public static partial void ServerTrustCustomRoots(ILogger logger, string clientName, int rootCount, string rootSubjects);

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
        EventId = 44,
        EventName = "ClientCertificateHandlerRetired",
        Level = LogLevel.Debug,
        Message = "HTTP client '{ClientName}': a handler moved to the client certificate {Thumbprint}; its previous connections are disposed after {DrainTimeout}.")]
    public static partial void ClientCertificateHandlerRetired(ILogger logger, string clientName, string thumbprint, TimeSpan drainTimeout);

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
        EventId = 47,
        EventName = "ClientCertificateHandlerDrainCapReached",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': {Count} replaced handlers were still draining, the most that are kept; the oldest is disposed now, before its drain timeout. Certificates are rotating faster than Reload:DrainTimeout allows.")]
    public static partial void ClientCertificateHandlerDrainCapReached(ILogger logger, string clientName, int count);

    // Events 30–39: retries (issue #6).

    [LoggerMessage(
        EventId = 30,
        EventName = "RequestGaveUp",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' gave up on {Method} {RequestUri} after {Attempts} attempt(s): {FailureCategory}, {FailureDescription}. {Decision}")]
    public static partial void RequestGaveUp(
        ILogger logger,
        string clientName,
        string method,
        string? requestUri,
        int attempts,
        Resilience.HttpFailureCategory failureCategory,
        string failureDescription,
        string decision);

    [LoggerMessage(
        EventId = 31,
        EventName = "ClientCertificateRejectedByServer",
        Level = LogLevel.Error,
        Message = "HTTP client '{ClientName}': the server rejected the client certificate '{Subject}' (thumbprint {Thumbprint}, not after {NotAfter:O}): {FailureDescription}. A reload was {ReloadOutcome}.")]
    public static partial void ClientCertificateRejectedByServer(
        ILogger logger,
        string clientName,
        string subject,
        string thumbprint,
        DateTimeOffset notAfter,
        string failureDescription,
        string reloadOutcome);

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

    // Events 50–59: connection warm-up (issue #7).

    [LoggerMessage(
        EventId = 50,
        EventName = "WarmupCompleted",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' opened and handshook {Connections} connection(s) to {BaseAddress} ahead of its first request ({Trigger}, {ElapsedMilliseconds:F0} ms).")]
    public static partial void WarmupCompleted(ILogger logger, string clientName, int connections, Uri baseAddress, double elapsedMilliseconds, string trigger);

    [LoggerMessage(
        EventId = 51,
        EventName = "WarmupFailed",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': {Failed} of {Connections} warm-up connection(s) to {BaseAddress} failed ({Trigger}): {Problem} The client works as usual; its first requests open their own connections.")]
    public static partial void WarmupFailed(ILogger logger, Exception exception, string clientName, int failed, int connections, Uri baseAddress, string trigger, string problem);

    [LoggerMessage(
        EventId = 52,
        EventName = "WarmupTimedOut",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': only {Succeeded} of {Connections} warm-up connection(s) to {BaseAddress} were ready within Warmup:Timeout ({Timeout}) ({Trigger}); the host starts without waiting longer.")]
    public static partial void WarmupTimedOut(ILogger logger, string clientName, int succeeded, int connections, Uri baseAddress, TimeSpan timeout, string trigger);

    [LoggerMessage(
        EventId = 53,
        EventName = "WarmupSkipped",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' is not warmed up: its certificate or options could not be loaded: {Problem}")]
    public static partial void WarmupSkipped(ILogger logger, string clientName, string problem);

    // Events 60–69: diagnostics ("doctor", issue #8).

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

    [LoggerMessage(
        EventId = 62,
        EventName = "RequestFailureDiagnosed",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': a request to {Endpoint} failed, diagnosis {Side}: {Diagnosis}")]
    public static partial void RequestFailureDiagnosed(ILogger logger, string clientName, string endpoint, ClientCertHttpFailureSide side, string diagnosis);
}
