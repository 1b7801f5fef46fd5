using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Handler;

/// <summary>
/// Log messages about the handlers that carry the certificate and their drain (events 44, 47). They name the client, the source,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 44,
        EventName = "ClientCertificateHandlerRetired",
        Level = LogLevel.Debug,
        Message = "HTTP client '{ClientName}': a handler moved to the client certificate {Thumbprint}; its previous connections are disposed after {DrainTimeout}.")]
    public static partial void ClientCertificateHandlerRetired(ILogger logger, string clientName, string thumbprint, TimeSpan drainTimeout);

    [LoggerMessage(
        EventId = 47,
        EventName = "ClientCertificateHandlerDrainCapReached",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': {Count} replaced handlers were still draining, the most that are kept; the oldest is disposed now, before its drain timeout. Certificates are rotating faster than Reload:DrainTimeout allows.")]
    public static partial void ClientCertificateHandlerDrainCapReached(ILogger logger, string clientName, int count);
}
