using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Warmup;

/// <summary>
/// Log messages about connection warm-up (events 50–53). They name the client, the source,
/// subjects, thumbprints and dates; never passwords or key material.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 50,
        EventName = "WarmupCompleted",
        Level = LogLevel.Information,
        Message = "HTTP client '{ClientName}' opened and handshook {Connections} connection(s) to {BaseAddress} ahead of its first request ({Trigger}, {ElapsedMilliseconds:F0} ms).")]
    public static partial void WarmupCompleted(ILogger logger, string clientName, int connections, string baseAddress, double elapsedMilliseconds, string trigger);

    [LoggerMessage(
        EventId = 51,
        EventName = "WarmupFailed",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': {Failed} of {Connections} warm-up connection(s) to {BaseAddress} failed ({Trigger}): {Problem} The client works as usual; its first requests open their own connections.")]
    public static partial void WarmupFailed(ILogger logger, Exception exception, string clientName, int failed, int connections, string baseAddress, string trigger, string problem);

    [LoggerMessage(
        EventId = 52,
        EventName = "WarmupTimedOut",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}': only {Succeeded} of {Connections} warm-up connection(s) to {BaseAddress} were ready within Warmup:Timeout ({Timeout}) ({Trigger}); the host starts without waiting longer.")]
    public static partial void WarmupTimedOut(ILogger logger, string clientName, int succeeded, int connections, string baseAddress, TimeSpan timeout, string trigger);

    [LoggerMessage(
        EventId = 53,
        EventName = "WarmupSkipped",
        Level = LogLevel.Warning,
        Message = "HTTP client '{ClientName}' is not warmed up: its certificate or options could not be loaded: {Problem}")]
    public static partial void WarmupSkipped(ILogger logger, string clientName, string problem);
}
