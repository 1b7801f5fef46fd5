namespace ClientCertHttp.Trust;

/// <summary>
/// Says which certificate authorities the client trusts when it validates the server's certificate.
/// </summary>
public enum ServerTrustMode
{
    /// <summary>The operating system's trust store, as a plain <see cref="HttpClient"/> does.</summary>
    System = 0,

    /// <summary>
    /// Only the configured root certificates (<see cref="ServerTrustOptions.RootCertificatesPath"/>,
    /// <see cref="ServerTrustOptions.RootCertificatesBase64"/> or <see cref="ServerTrustOptions.Store"/>); the operating
    /// system's store is ignored.
    /// </summary>
    CustomRoots = 1,

    /// <summary>The operating system's trust store and, in addition, the configured root certificates.</summary>
    SystemAndCustomRoots = 2,
}
