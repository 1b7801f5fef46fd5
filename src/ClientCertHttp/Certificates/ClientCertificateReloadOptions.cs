namespace ClientCertHttp.Certificates;

/// <summary>
/// Says how a client's certificate is reloaded when its files change, without a restart.
/// </summary>
/// <remarks>
/// Files are polled (their content is compared, so editors that replace files, <c>mv</c> over a file and the
/// Kubernetes <c>..data</c> symlink swap are all seen) and a change is loaded once the content has been the same for
/// two polls in a row, so a half-written file is never loaded. A reload that fails keeps the last good certificate.
/// </remarks>
public sealed class ClientCertificateReloadOptions
{
    /// <summary>Gets or sets a value indicating whether certificate files are watched for changes.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets how often the certificate files are checked. A change is applied within two intervals of the last write.</summary>
    /// <value>The default value is one second; it must be between 100 milliseconds and one hour.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long the handlers and connections that use a replaced certificate are kept so that requests
    /// in flight on them can complete; they are disposed after that.
    /// </summary>
    /// <value>The default value is two minutes; it must be between zero and one hour.</value>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
