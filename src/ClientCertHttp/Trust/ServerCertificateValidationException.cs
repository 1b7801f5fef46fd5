using System.Security.Authentication;

namespace ClientCertHttp.Trust;

/// <summary>
/// The exception that says why a server's certificate was rejected. It is the inner exception of the
/// <see cref="HttpRequestException"/> that the request fails with.
/// </summary>
/// <remarks>
/// It derives from <see cref="AuthenticationException"/> (the server failed TLS authentication), so code that looks
/// for an <see cref="AuthenticationException"/> inside a failed request keeps working. The same facts are logged once,
/// as a warning, when the certificate is rejected.
/// </remarks>
public sealed class ServerCertificateValidationException : AuthenticationException
{
    /// <summary>
    /// Initializes a new instance of the <see cref="ServerCertificateValidationException"/> class.
    /// </summary>
    /// <param name="clientName">The name of the HTTP client that rejected the server.</param>
    /// <param name="reason">The check that failed.</param>
    /// <param name="targetHost">The host name the client connected to.</param>
    /// <param name="serverSubject">The subject of the server's certificate, or <see langword="null"/> when none was sent.</param>
    /// <param name="serverThumbprint">The SHA-1 thumbprint of the server's certificate, or <see langword="null"/>.</param>
    /// <param name="detail">What exactly failed (for example the chain status), used in the message.</param>
    public ServerCertificateValidationException(
        string clientName,
        ServerCertificateFailureReason reason,
        string targetHost,
        string? serverSubject,
        string? serverThumbprint,
        string detail)
        : this(clientName, reason, targetHost, serverSubject, serverThumbprint, detail, innerException: null)
    {
    }

    /// <summary>Initializes a new instance with the exception that made the chain unusable, if any.</summary>
    internal ServerCertificateValidationException(
        string clientName,
        ServerCertificateFailureReason reason,
        string targetHost,
        string? serverSubject,
        string? serverThumbprint,
        string detail,
        Exception? innerException)
        : base(FormatMessage(clientName, reason, targetHost, serverSubject, serverThumbprint, detail), innerException)
    {
        ClientName = clientName;
        Reason = reason;
        TargetHost = targetHost;
        ServerSubject = serverSubject;
        ServerThumbprint = serverThumbprint;
        Detail = detail;
    }

    /// <summary>Gets the name of the HTTP client that rejected the server.</summary>
    public string ClientName { get; }

    /// <summary>Gets the check that failed.</summary>
    public ServerCertificateFailureReason Reason { get; }

    /// <summary>Gets the host name the client connected to.</summary>
    public string TargetHost { get; }

    /// <summary>Gets the subject of the server's certificate, or <see langword="null"/> when the server sent none.</summary>
    public string? ServerSubject { get; }

    /// <summary>Gets the SHA-1 thumbprint of the server's certificate, or <see langword="null"/> when the server sent none.</summary>
    public string? ServerThumbprint { get; }

    /// <summary>Gets what exactly failed, for example the chain status or the validator's reason.</summary>
    public string Detail { get; }

    private static string FormatMessage(string clientName, ServerCertificateFailureReason reason, string targetHost, string? subject, string? thumbprint, string detail) =>
        subject is null
            ? $"HTTP client '{clientName}' rejected the server '{targetHost}' ({reason}): {detail}"
            : $"HTTP client '{clientName}' rejected the certificate '{subject}' (thumbprint {thumbprint}) of the server '{targetHost}' ({reason}): {detail}";
}
