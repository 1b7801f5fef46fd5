using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Certificates returned by an <see cref="ICertificateProvider"/>: one or more client certificates with private
/// keys, and the intermediate CA certificates to send with them.
/// </summary>
/// <remarks>
/// When several certificates have a private key, the one that is valid now, allows client authentication and
/// expires last is sent (the choice is logged). Certificates without a private key are candidate intermediates.
/// ClientCertHttp owns every certificate in the bundle once it is returned, and disposes them.
/// </remarks>
public sealed class ClientCertificateBundle
{
    /// <summary>
    /// Initializes a new instance of the <see cref="ClientCertificateBundle"/> class for one client certificate.
    /// </summary>
    /// <param name="certificate">The client certificate, with its private key.</param>
    /// <param name="intermediates">The intermediate CA certificates, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    public ClientCertificateBundle(X509Certificate2 certificate, IEnumerable<X509Certificate2>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Certificates = [certificate, .. intermediates ?? []];
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="ClientCertificateBundle"/> class from a list of certificates,
    /// for example everything a vault holds for the client.
    /// </summary>
    /// <param name="certificates">Client certificates (with private keys) and intermediates, in any order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="certificates"/> is <see langword="null"/>.</exception>
    public ClientCertificateBundle(IEnumerable<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        Certificates = [.. certificates];
    }

    /// <summary>Gets every certificate of the bundle.</summary>
    public IReadOnlyList<X509Certificate2> Certificates { get; }
}
