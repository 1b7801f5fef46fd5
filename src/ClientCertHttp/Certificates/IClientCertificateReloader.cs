namespace ClientCertHttp.Certificates;

/// <summary>
/// Reloads a client's certificate on demand, for example after a secret store pushed a renewed certificate.
/// </summary>
/// <remarks>
/// Registered by <c>AddClientCertHttpClient</c>. A reload that yields a different certificate takes effect for every
/// request that starts after it returns, whatever the client's handler lifetime; requests in flight finish on their
/// old connections. A reload that fails keeps the last good certificate.
/// </remarks>
public interface IClientCertificateReloader
{
    /// <summary>Loads the client's certificate source again and starts using the result when it differs.</summary>
    /// <param name="clientName">The name of a client registered with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <param name="cancellationToken">Cancels the reload before it starts.</param>
    /// <returns>What changed, or why the reload failed.</returns>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is not a client-certificate client.</exception>
    /// <exception cref="ClientCertificateException">The client's certificate was never loaded successfully (the host did not start).</exception>
    Task<ClientCertificateReloadResult> ReloadAsync(string clientName, CancellationToken cancellationToken = default);
}
