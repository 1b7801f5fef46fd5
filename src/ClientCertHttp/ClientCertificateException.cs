using Microsoft.Extensions.Options;

namespace ClientCertHttp;

/// <summary>
/// The exception thrown when a client certificate, or the configuration of a client-certificate HTTP client,
/// cannot be used.
/// </summary>
/// <remarks>
/// <para>
/// The message says what is wrong, where (the HTTP client's name and the file path or configuration key) and
/// what to do about it. It never contains a password or key material.
/// </para>
/// <para>
/// The type derives from <see cref="OptionsValidationException"/> because most of these problems are found while
/// the client's options are validated at startup (<c>ValidateOnStart</c>): the host then reports the problems of
/// every client together, as an <see cref="AggregateException"/> when there is more than one.
/// </para>
/// <para>
/// The platform exception behind a problem is not attached (its text is summarized in the message instead):
/// some platform messages about PKCS#12 files are misleading, and none of them names the client or the file.
/// </para>
/// </remarks>
public sealed class ClientCertificateException : OptionsValidationException
{
    private readonly string _message;

    /// <summary>
    /// Initializes a new instance of the <see cref="ClientCertificateException"/> class for one problem.
    /// </summary>
    /// <param name="clientName">The name of the HTTP client the problem belongs to.</param>
    /// <param name="reason">The kind of problem.</param>
    /// <param name="message">The message: what is wrong, where, and how to fix it. It must not contain secrets.</param>
    /// <param name="source">The certificate source (file path, store query), or <see langword="null"/>.</param>
    public ClientCertificateException(
        string clientName,
        ClientCertificateFailureReason reason,
        string message,
        string? source = null)
        : this(clientName, reason, source, [message])
    {
    }

    private ClientCertificateException(
        string clientName,
        ClientCertificateFailureReason reason,
        string? source,
        IReadOnlyList<string> failures)
        : base(clientName, typeof(ClientCertHttpOptions), failures)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        ClientName = clientName;
        Reason = reason;
        CertificateSource = source;
        _message = failures.Count == 1
            ? failures[0]
            : $"{failures.Count} problems with HTTP client '{clientName}':{Environment.NewLine}- "
              + string.Join(Environment.NewLine + "- ", failures);
    }

    /// <summary>Gets the name of the HTTP client the problem belongs to.</summary>
    public string ClientName { get; }

    /// <summary>Gets the kind of problem. When several problems are reported at once, the first one's kind.</summary>
    public ClientCertificateFailureReason Reason { get; }

    /// <summary>Gets a description of the certificate source (file path, store query), or <see langword="null"/> when the problem has no single source.</summary>
    public string? CertificateSource { get; }

    /// <inheritdoc/>
    public override string Message => _message;

    /// <summary>
    /// Combines several problems of one client into one exception whose <see cref="Reason"/> is the first problem's
    /// and whose message lists every problem.
    /// </summary>
    internal static ClientCertificateException Combine(string clientName, IReadOnlyList<ClientCertificateException> problems)
    {
        if (problems.Count == 1)
        {
            return problems[0];
        }

        var failures = problems.SelectMany(p => p.Failures).ToArray();
        var first = problems[0];
        return new ClientCertificateException(clientName, first.Reason, first.CertificateSource, failures);
    }
}
