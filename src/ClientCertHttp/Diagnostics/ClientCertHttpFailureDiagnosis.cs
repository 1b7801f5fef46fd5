using ClientCertHttp.Trust;


namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Why a request of a client-certificate client failed, in plain language, with the evidence: the TLS alert, whether
/// the server asked for a certificate, the certificate authorities it named and whether this client's chain matches
/// one of them.
/// </summary>
/// <remarks>
/// Computed once per failure, never for successful requests. When the failure leaves a doubt (the server rejected
/// the certificate, or refused the request), one short diagnostic handshake with the server supplies the evidence;
/// its result is reused for 30 seconds per client, endpoint and certificate. Never holds a secret.
/// </remarks>
public sealed class ClientCertHttpFailureDiagnosis
{
    internal ClientCertHttpFailureDiagnosis(ClientCertHttpFailureSide side, string summary)
    {
        Side = side;
        Summary = summary;
    }

    /// <summary>Gets which side made the request fail.</summary>
    public ClientCertHttpFailureSide Side { get; }

    /// <summary>Gets the diagnosis in plain language: what failed, the evidence, and what to do.</summary>
    public string Summary { get; }

    /// <summary>Gets the server's host and port, when known.</summary>
    public string? Endpoint { get; internal init; }

    /// <summary>Gets the TLS alert the server sent, in OpenSSL's words (<c>unknown ca</c>, <c>certificate required</c>, …), when known.</summary>
    public string? TlsAlert { get; internal init; }

    /// <summary>Gets whether the server asked for a client certificate, when a diagnostic handshake could tell.</summary>
    public bool? ClientCertificateRequested { get; internal init; }

    /// <summary>Gets the distinguished names of the certificate authorities the server said it accepts (empty when it named none or was not asked).</summary>
    public IReadOnlyList<string> AcceptableIssuers { get; internal init; } = [];

    /// <summary>
    /// Gets whether a certificate of the chain this client sends has one of <see cref="AcceptableIssuers"/> as issuer or
    /// subject; <see langword="null"/> when the server named none.
    /// </summary>
    public bool? ClientChainMatchesAcceptableIssuers { get; internal init; }

    /// <summary>Gets why this client rejected the server's certificate, when it did.</summary>
    public ServerCertificateFailureReason? ServerCertificateFailure { get; internal init; }

    /// <summary>Gets the HTTP status code the server answered with, when it answered.</summary>
    public int? StatusCode { get; internal init; }

    /// <summary>Gets the thumbprint of the client certificate in use when the request failed.</summary>
    public string? ClientCertificateThumbprint { get; internal init; }

    /// <inheritdoc/>
    public override string ToString() => Summary;
}
