namespace ClientCertHttp.Certificates;

/// <summary>
/// The outcome of one attempt to reload a client's certificate.
/// </summary>
public sealed class ClientCertificateReloadResult
{
    internal ClientCertificateReloadResult(
        string clientName,
        bool succeeded,
        bool changed,
        string? previousThumbprint,
        string? currentThumbprint,
        DateTimeOffset? currentNotAfter,
        string? error,
        DateTimeOffset timestamp)
    {
        ClientName = clientName;
        Succeeded = succeeded;
        Changed = changed;
        PreviousThumbprint = previousThumbprint;
        CurrentThumbprint = currentThumbprint;
        CurrentNotAfter = currentNotAfter;
        Error = error;
        Timestamp = timestamp;
    }

    /// <summary>Gets the name of the HTTP client.</summary>
    public string ClientName { get; }

    /// <summary>Gets a value indicating whether the source could be loaded and used.</summary>
    /// <remarks>When <see langword="false"/>, the client keeps its last good certificate.</remarks>
    public bool Succeeded { get; }

    /// <summary>Gets a value indicating whether the client now presents a different certificate or chain than before.</summary>
    public bool Changed { get; }

    /// <summary>Gets the thumbprint of the certificate in use before the attempt.</summary>
    public string? PreviousThumbprint { get; }

    /// <summary>Gets the thumbprint of the certificate in use after the attempt.</summary>
    public string? CurrentThumbprint { get; }

    /// <summary>Gets the end of the validity period of the certificate in use after the attempt.</summary>
    public DateTimeOffset? CurrentNotAfter { get; }

    /// <summary>Gets why the attempt failed (no secrets), or <see langword="null"/> when it succeeded.</summary>
    public string? Error { get; }

    /// <summary>Gets when the attempt was made.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        Succeeded
            ? $"{ClientName}: {(Changed ? $"now {CurrentThumbprint} (was {PreviousThumbprint})" : $"unchanged ({CurrentThumbprint})")}"
            : $"{ClientName}: reload failed, still {CurrentThumbprint}: {Error}";
}
