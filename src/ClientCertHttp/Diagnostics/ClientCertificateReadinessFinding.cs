namespace ClientCertHttp.Diagnostics;

/// <summary>One warning or error of a <see cref="ClientCertificateReadinessReport"/>.</summary>
public sealed class ClientCertificateReadinessFinding
{
    internal ClientCertificateReadinessFinding(ClientCertificateReadinessCode code, ClientCertificateReadinessSeverity severity, string message)
    {
        Code = code;
        Severity = severity;
        Message = message;
    }

    /// <summary>Gets the stable code of the finding.</summary>
    public ClientCertificateReadinessCode Code { get; }

    /// <summary>Gets how serious the finding is.</summary>
    public ClientCertificateReadinessSeverity Severity { get; }

    /// <summary>Gets what was found and what to do, in plain language (never a secret).</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Severity} {Code}: {Message}";
}
