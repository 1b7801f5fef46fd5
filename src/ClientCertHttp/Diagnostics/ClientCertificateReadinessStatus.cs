namespace ClientCertHttp.Diagnostics;

/// <summary>The overall verdict of a <see cref="ClientCertificateReadinessReport"/>.</summary>
public enum ClientCertificateReadinessStatus
{
    /// <summary>No finding: nothing offline suggests a server would reject the certificate.</summary>
    Ready = 0,

    /// <summary>Only warnings.</summary>
    ReadyWithWarnings = 1,

    /// <summary>At least one error: servers will reject the certificate.</summary>
    NotReady = 2,
}
