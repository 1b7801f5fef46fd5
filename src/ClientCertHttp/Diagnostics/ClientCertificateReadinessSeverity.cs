namespace ClientCertHttp.Diagnostics;

/// <summary>How serious a finding of a <see cref="ClientCertificateReadinessReport"/> is.</summary>
public enum ClientCertificateReadinessSeverity
{
    /// <summary>The client works today, but something may make it fail on some servers or soon.</summary>
    Warning = 1,

    /// <summary>Servers will reject the certificate.</summary>
    Error = 2,
}
