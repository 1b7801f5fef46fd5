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
}
