namespace ClientCertHttp.Internal;

/// <summary>
/// Reloads a client's certificate when the server rejected it, so the retry pipeline can try once more with a
/// renewed certificate. The seam between retries (issue #6) and rotation (issue #4).
/// </summary>
internal interface IClientCertificateReloader
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
/// The reloader of this version, which cannot reload: a loaded certificate stays in use until the options change.
/// It reports "unchanged", so a rejected certificate fails after one attempt. Rotation replaces it.
/// </summary>
internal sealed class UnchangedClientCertificateReloader : IClientCertificateReloader
{
    public ValueTask<bool> ReloadAsync(string clientName, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}
