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
}
