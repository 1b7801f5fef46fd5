using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Identities;

/// <summary>
/// Log messages about the identities of per-identity clients (events 70–74). They name the client, the identity,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 70,
        EventName = "IdentityLoaded",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' loaded identity '{Identity}': '{Subject}' (thumbprint {Thumbprint}, not after {NotAfter:u}); {Loaded} identities loaded.")]
    public static partial void IdentityLoaded(ILogger logger, string clientName, string identity, string subject, string thumbprint, DateTimeOffset notAfter, int loaded);

    [LoggerMessage(
        EventId = 71,
        EventName = "IdentityLoadFailed",
        Level = LogLevel.Error,
        Message = "HTTP client '{ClientName}': identity {Identity} could not be loaded, so its request fails (the next request tries again): {Problem}")]
    public static partial void IdentityLoadFailed(ILogger logger, string clientName, string identity, string problem);

    [LoggerMessage(
        EventId = 72,
        EventName = "IdentityEvicted",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' unloaded identity '{Identity}' ({Reason}); its connections drain for {DrainTimeout} before they are closed; {Loaded} identities loaded.")]
    public static partial void IdentityEvicted(ILogger logger, string clientName, string identity, string reason, TimeSpan drainTimeout, int loaded);
}
