namespace ClientCertHttp;

/// <summary>
/// Says how the server's certificate is validated. Chain and host name validation are always on.
/// </summary>
public sealed class ServerTrustOptions
{
    /// <summary>
    /// Gets or sets which certificate authorities are trusted.
    /// </summary>
    /// <value>The default value is <see cref="ServerTrustMode.System"/>.</value>
    public ServerTrustMode Mode { get; set; } = ServerTrustMode.System;

    /// <summary>
    /// Gets or sets the path of the trusted root certificates: a PEM file with one or more
    /// <c>-----BEGIN CERTIFICATE-----</c> blocks, or one DER-encoded certificate. A relative path is resolved against the
    /// process's current directory, and error messages show the full path that was tried.
    /// </summary>
    /// <value>The default value is <see langword="null"/>. Required when <see cref="Mode"/> is <see cref="ServerTrustMode.CustomRoots"/>.</value>
    public string? RootCertificatesPath { get; set; }
}
