namespace ClientCertHttp.Diagnostics;

/// <summary>How far the chain of a client certificate can be completed without downloading anything.</summary>
public enum ClientCertificateChainStatus
{
    /// <summary>
    /// The chain reaches a self-signed root, and every intermediate that is sent comes from the certificate source
    /// (the root itself is never sent; the server must trust it).
    /// </summary>
    Complete = 0,

    /// <summary>
    /// The chain reaches a self-signed root, but at least one intermediate that is sent was found only in this
    /// machine's certificate stores: success depends on the OS store of the machine the client runs on.
    /// </summary>
    CompleteWithSystemStore = 1,

    /// <summary>
    /// The chain ends at an intermediate whose issuer is neither in the certificate source nor in the machine's
    /// stores. It could be completed only by downloading the issuer (AIA, see
    /// <see cref="ClientCertificateReadinessReport.MissingIssuerDownloadUrls"/>), which TLS servers rarely do.
    /// </summary>
    EndsAtIntermediate = 2,
}
