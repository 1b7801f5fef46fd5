using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Log messages of the failure diagnosis, and the one logger category of the library (event 62). They name the client, the source,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
    /// <summary>The logger category of every ClientCertHttp log message.</summary>
    public const string CategoryName = "ClientCertHttp";

    [LoggerMessage(
        EventId = 62,
        EventName = "RequestFailureDiagnosed",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': a request to {Endpoint} failed, diagnosis {Side}: {Diagnosis}")]
    public static partial void RequestFailureDiagnosed(ILogger logger, string clientName, string endpoint, ClientCertHttpFailureSide side, string diagnosis);
}
