using ClientCertHttp.Certificates;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Reloads a client's certificate when the server rejected it, so the retry pipeline can try once more with a
/// renewed certificate: the seam between retries and rotation.
/// </summary>
internal interface ICertificateRejectionReloader
{
    /// <summary>
    /// Reloads the client's certificate from its source, or waits for the reload that is already under way.
    /// </summary>
    /// <param name="clientName">The client whose certificate was rejected.</param>
    /// <param name="request">What the retry pipeline knows of the rejected request (the certificate it was sent with).</param>
    /// <param name="cancellationToken">The request's token: it stops the wait, not the shared reload.</param>
    /// <returns>
    /// <see langword="true"/> only when a DIFFERENT certificate is now in use, that is when new connections of the
    /// client will present it; <see langword="false"/> when the certificate is unchanged or could not be reloaded.
    /// </returns>
    ValueTask<bool> ReloadAsync(string clientName, RetryState request, CancellationToken cancellationToken);
}

/// <summary>
/// Reloads through the client's <see cref="ClientCertificateSource"/>: concurrent rejections share one reload, and a
/// changed certificate takes effect for the very next attempt, because the client's primary handler moves to a new
/// connection pool carrying it.
/// </summary>
internal sealed class CertificateRejectionReloader(ClientCertificateSources sources) : ICertificateRejectionReloader
{
    public ValueTask<bool> ReloadAsync(string clientName, RetryState request, CancellationToken cancellationToken)
    {
        // An identity's rejection reloads that identity only.
        var source = request.Source ?? sources.Get(clientName);
        return source.ReloadAfterRejectionAsync(request.StateAtStart ?? source.Current, request.StateAtStart is null ? source.LoadsStarted : request.LoadsStartedAtStart, cancellationToken);
    }
}
