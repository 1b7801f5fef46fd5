namespace ClientCertHttp.Trust;

/// <summary>
/// The answer of an <see cref="IServerCertificateValidator"/>: accept, or reject with a reason.
/// </summary>
public sealed class ServerCertificateValidationResult
{
    private ServerCertificateValidationResult(string? failureReason) => FailureReason = failureReason;

    /// <summary>Gets the result that raises no objection. By default it cannot overrule a rejection by the built-in checks.</summary>
    public static ServerCertificateValidationResult Accept { get; } = new(null);

    /// <summary>Gets a value indicating whether the certificate is accepted.</summary>
    public bool IsAccepted => FailureReason is null;

    /// <summary>Gets why the certificate is rejected, or <see langword="null"/> when it is accepted.</summary>
    public string? FailureReason { get; }

    /// <summary>Creates a rejection. The reason appears in the exception message and the log; it must not contain secrets.</summary>
    /// <param name="reason">Why the certificate is rejected.</param>
    /// <returns>The rejection.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is <see langword="null"/> or empty.</exception>
    public static ServerCertificateValidationResult Reject(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(reason);
    }
}
