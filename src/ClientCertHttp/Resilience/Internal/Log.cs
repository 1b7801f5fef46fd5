using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Log messages about retries and the requests given up on (events 30–31). They name the client, the source,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
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
