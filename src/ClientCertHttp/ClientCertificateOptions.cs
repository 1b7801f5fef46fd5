namespace ClientCertHttp;

/// <summary>
/// Says where a client certificate comes from. The vocabulary follows Kestrel's certificate configuration.
/// </summary>
/// <remarks>
/// Today a certificate is loaded from a password-protected PKCS#12 file (<c>.pfx</c> / <c>.p12</c>) holding the
/// client certificate with its private key and, ideally, the intermediate CA certificates up to the root. Every
/// certificate in the file other than the client certificate is sent to the server as part of the chain.
/// </remarks>
public sealed class ClientCertificateOptions
{
    /// <summary>
    /// Gets or sets the path of the PKCS#12 (<c>.pfx</c> / <c>.p12</c>) file. A relative path is resolved against the
    /// process's current directory, and error messages show the full path that was tried.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>
    /// Gets or sets the password of the PKCS#12 file.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (a file without password).</value>
    /// <remarks>The password is never logged and never appears in an exception message.</remarks>
    public string? Password { get; set; }

    /// <summary>
    /// Gets or sets the SHA-1 thumbprint (hexadecimal, case and spaces ignored) that picks the client certificate when
    /// the file holds more than one certificate with a private key.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the file must hold exactly one certificate with a private key.</value>
    public string? Thumbprint { get; set; }
}
