namespace ClientCertHttp.Certificates;

/// <summary>
/// Says which HTTP client an <see cref="ICertificateProvider"/> is asked for.
/// </summary>
/// <param name="clientName">The name of the HTTP client.</param>
/// <param name="options">The client's certificate options, as configured.</param>
public sealed class CertificateProviderContext(string clientName, ClientCertificateOptions options)
{
    /// <summary>Gets the name of the HTTP client.</summary>
    public string ClientName { get; } = clientName ?? throw new ArgumentNullException(nameof(clientName));

    /// <summary>Gets the client's certificate options, for providers that read settings such as <see cref="ClientCertificateOptions.Subject"/>.</summary>
    public ClientCertificateOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));
}
