namespace ClientCertHttp.Internal;

/// <summary>
/// Reloads a client's certificate when the server rejected it, so the retry pipeline can try once more with a
/// renewed certificate: the seam between retries and rotation.
/// </summary>
internal interface ICertificateRejectionReloader
{
    /// <summary>
    /// Reloads the client's certificate from its source.
    /// </summary>
    /// <returns>
    /// <see langword="true"/> only when a DIFFERENT certificate is now in use, that is when new connections of the
    /// client will present it; <see langword="false"/> when the certificate is unchanged or could not be reloaded.
    /// </returns>
    ValueTask<bool> ReloadAsync(string clientName, CancellationToken cancellationToken);
}

/// <summary>
/// Reloads through <see cref="IClientCertificateReloader"/>: a changed certificate takes effect for the very next
/// attempt, because the client's primary handler moves to a new connection pool carrying it.
/// </summary>
internal sealed class CertificateRejectionReloader(IClientCertificateReloader reloader) : ICertificateRejectionReloader
{
    public async ValueTask<bool> ReloadAsync(string clientName, CancellationToken cancellationToken) =>
        (await reloader.ReloadAsync(clientName, cancellationToken).ConfigureAwait(false)).Changed;
}
