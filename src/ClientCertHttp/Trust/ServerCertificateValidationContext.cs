using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Trust;

/// <summary>
/// What an <see cref="IServerCertificateValidator"/> is asked to decide about: the server's certificate, the chain
/// that <see cref="SslStream"/> already built for it, and the built-in verdict.
/// </summary>
/// <remarks>
/// The certificate and the chain belong to the handshake and are only valid during
/// <see cref="IServerCertificateValidator.Validate"/>: do not keep them, and do not dispose them.
/// </remarks>
public sealed class ServerCertificateValidationContext
{
    internal ServerCertificateValidationContext(
        string clientName,
        string targetHost,
        X509Certificate2 certificate,
        X509Chain chain,
        SslPolicyErrors sslPolicyErrors,
        ServerCertificateFailureReason? builtInFailure)
    {
        ClientName = clientName;
        TargetHost = targetHost;
        Certificate = certificate;
        Chain = chain;
        SslPolicyErrors = sslPolicyErrors;
        BuiltInFailure = builtInFailure;
    }

    /// <summary>Gets the name of the HTTP client that is connecting.</summary>
    public string ClientName { get; }

    /// <summary>Gets the host name the client is connecting to (the TLS server name).</summary>
    public string TargetHost { get; }

    /// <summary>Gets the server's leaf certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the chain built for <see cref="Certificate"/> with the client's trust policy; <see cref="X509Chain.ChainElements"/> runs from the leaf to the root.</summary>
    public X509Chain Chain { get; }

    /// <summary>Gets the platform's own verdict (chain and host name) as <see cref="SslStream"/> reported it.</summary>
    public SslPolicyErrors SslPolicyErrors { get; }

    /// <summary>
    /// Gets why the built-in checks rejected the certificate, or <see langword="null"/> when they accepted it. Only ever
    /// non-null when <see cref="ServerTrustOptions.ValidatorsReplaceBuiltInVerdict"/> is set.
    /// </summary>
    public ServerCertificateFailureReason? BuiltInFailure { get; }
}
