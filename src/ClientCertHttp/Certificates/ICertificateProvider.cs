using Microsoft.Extensions.Primitives;

namespace ClientCertHttp.Certificates;

/// <summary>
/// A custom source of client certificates, for example a secrets vault. Register one per HTTP client with
/// <c>AddCertificateProvider</c> on the client's <c>IHttpClientBuilder</c>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="GetCertificateAsync"/> is called once when the host starts (with the client's
/// <see cref="ClientCertificateOptions.ProviderTimeout"/>; a provider that takes longer fails startup) and its result
/// goes through the same checks as every other source: validity period, private key, client-authentication usage.
/// </para>
/// <para>
/// The provider is resolved from the application's service provider, keyed by the client's name, and lives as long
/// as it. It may be called from any thread.
/// </para>
/// </remarks>
public interface ICertificateProvider
{
    /// <summary>
    /// Fetches the client's certificates: at least one with its private key, plus the intermediate CA certificates to
    /// send with it.
    /// </summary>
    /// <param name="context">Which client is asking.</param>
    /// <param name="cancellationToken">Cancelled when the startup timeout elapses or the host stops.</param>
    /// <returns>The certificates; ownership passes to ClientCertHttp, which disposes them when they are no longer used.</returns>
    /// <remarks>
    /// Exceptions (other than cancellation) and a <see langword="null"/> result are reported as a
    /// <see cref="ClientCertificateException"/> with <see cref="ClientCertificateFailureReason.CertificateProviderFailed"/>;
    /// the exception's message is not copied, because it might contain secrets, but its type is named.
    /// </remarks>
    ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Gets a token that fires when the provider has a newer certificate for the client, for certificate rotation.
    /// </summary>
    /// <param name="context">Which client is asking.</param>
    /// <returns>A change token; the default implementation never fires.</returns>
    /// <remarks>
    /// When the token fires, the client's certificate is loaded again from the provider, on the thread pool (never on
    /// the thread that fired the token), and the token is asked for again. A new certificate is used by every request
    /// that starts after the reload; a failed reload keeps the last good certificate and is tried again with backoff.
    /// An exception thrown from this method is logged and stops the watch until the next successful reload.
    /// </remarks>
    IChangeToken GetChangeToken(CertificateProviderContext context) => NeverChangeToken.Instance;
}

/// <summary>A change token that never fires, for providers that do not rotate.</summary>
internal sealed class NeverChangeToken : IChangeToken
{
    public static readonly NeverChangeToken Instance = new();

    public bool HasChanged => false;

    public bool ActiveChangeCallbacks => false;

    public IDisposable RegisterChangeCallback(Action<object?> callback, object? state) => EmptyDisposable.Instance;

    private sealed class EmptyDisposable : IDisposable
    {
        public static readonly EmptyDisposable Instance = new();

        public void Dispose()
        {
        }
    }
}
