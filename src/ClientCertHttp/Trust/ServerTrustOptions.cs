using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Trust;

/// <summary>
/// Says how the server's certificate is validated. Chain and host name validation are always on; the settings here
/// choose the trust anchors and add checks on top of them.
/// </summary>
public sealed class ServerTrustOptions
{
    /// <summary>The default of <see cref="RevocationTimeout"/>: 5 seconds.</summary>
    internal static readonly TimeSpan DefaultRevocationTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets which certificate authorities are trusted.
    /// </summary>
    /// <value>The default value is <see cref="ServerTrustMode.System"/>.</value>
    public ServerTrustMode Mode { get; set; } = ServerTrustMode.System;

    /// <summary>
    /// Gets or sets the path of the trusted root certificates: a PEM file with one or more
    /// <c>-----BEGIN CERTIFICATE-----</c> blocks, or one DER-encoded certificate. A relative path is resolved against the
    /// process's current directory, and error messages show the full path that was tried.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>
    /// <see cref="ServerTrustMode.CustomRoots"/> and <see cref="ServerTrustMode.SystemAndCustomRoots"/> need at least one
    /// root from this path, <see cref="RootCertificatesBase64"/> or <see cref="Store"/>; the sources add up.
    /// </remarks>
    public string? RootCertificatesPath { get; set; }

    /// <summary>
    /// Gets or sets trusted root certificates given inline: the base64 text of a DER certificate, or of a PEM bundle
    /// (convenient for an environment variable or a secret store entry).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? RootCertificatesBase64 { get; set; }

    /// <summary>
    /// Gets or sets the name of the certificate store that holds a trusted root certificate (for example <c>Root</c>
    /// or <c>My</c>), used with <see cref="Location"/> and <see cref="Thumbprint"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no store is read.</value>
    public string? Store { get; set; }

    /// <summary>
    /// Gets or sets the location of <see cref="Store"/>.
    /// </summary>
    /// <value>The default value is <see cref="StoreLocation.CurrentUser"/>.</value>
    public StoreLocation Location { get; set; } = StoreLocation.CurrentUser;

    /// <summary>
    /// Gets or sets the SHA-1 or SHA-256 thumbprint of the root certificate to take from <see cref="Store"/>.
    /// Required when <see cref="Store"/> is set.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Thumbprint { get; set; }

    /// <summary>
    /// Gets or sets the path of a PEM bundle (or one DER certificate) of intermediate CA certificates that the chain may
    /// use in addition to those the server sends (<see cref="X509ChainPolicy.ExtraStore"/>). They are never trust
    /// anchors.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? IntermediateCertificatesPath { get; set; }

    /// <summary>
    /// Gets the pinned public keys: each the base64 SHA-256 hash of a certificate's DER SubjectPublicKeyInfo, as printed
    /// by <c>openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64</c>.
    /// </summary>
    /// <value>The default value is an empty list: no pinning.</value>
    /// <remarks>
    /// When the list is not empty, at least one certificate of the validated chain (leaf, intermediate or root) must
    /// have one of these keys. Pinning is checked in addition to chain and host name validation, never instead, and
    /// validators cannot waive it (not even with <see cref="ValidatorsReplaceBuiltInVerdict"/>); list a backup pin for
    /// key rollover. Under <see cref="DangerousAcceptAnyServerCertificate"/> nothing validates the chain the server
    /// sends, so only the leaf's own key is matched.
    /// </remarks>
    public IList<string> PinnedPublicKeys { get; } = [];

    /// <summary>
    /// Gets the identities the server may have, each <c>dns:</c> followed by a DNS subject alternative name,
    /// <c>uri:</c> followed by a URI subject alternative name (for example a SPIFFE ID <c>uri:spiffe://corp/payments</c>)
    /// or <c>subject:</c> followed by a distinguished name (<c>subject:CN=api, O=Corp</c>).
    /// </summary>
    /// <value>The default value is an empty list: any server that passes the other checks is allowed.</value>
    /// <remarks>
    /// When the list is not empty, the server's leaf certificate must match at least one entry. This is checked in
    /// addition to host name validation, never instead of it. DNS names and URIs are compared exactly (DNS names
    /// ignoring case, no wildcards).
    /// </remarks>
    public IList<string> AllowedServerIdentities { get; } = [];

    /// <summary>
    /// Gets or sets whether and how the revocation of the server's chain is checked.
    /// </summary>
    /// <value>
    /// The default value is <see cref="X509RevocationMode.NoCheck"/>, the platform's own default for
    /// <see cref="HttpClient"/>. Many private CAs publish no CRL or OCSP endpoint, and with <see cref="X509RevocationMode.Online"/>
    /// an unreachable endpoint fails every handshake as "revocation unknown"; turn it on when the CA publishes revocation
    /// information that the client can reach.
    /// </value>
    /// <remarks>
    /// With <see cref="ServerTrustMode.CustomRoots"/>, certificate downloads are off
    /// (<see cref="X509ChainPolicy.DisableCertificateDownloads"/>) unless this is <see cref="X509RevocationMode.Online"/>:
    /// the chain is built from the configured roots and intermediates and what the server sends, and no URL named by
    /// the server's certificates (AIA issuers, CRL or OCSP endpoints) is fetched during a handshake. With
    /// <see cref="X509RevocationMode.Online"/> they are fetched, bounded by <see cref="RevocationTimeout"/>. The system
    /// modes keep the platform's default.
    /// </remarks>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;

    /// <summary>
    /// Gets or sets the longest time a handshake may spend downloading revocation information (and missing
    /// certificates) when <see cref="RevocationMode"/> is <see cref="X509RevocationMode.Online"/>
    /// (<see cref="X509ChainPolicy.UrlRetrievalTimeout"/>). Between 1 millisecond and 1 minute.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    /// <remarks>
    /// Without it the platform waits about 15 seconds per unreachable URL, and the handler's <c>ConnectTimeout</c> does
    /// not interrupt the wait. When the time runs out the revocation status is unknown and the server is rejected.
    /// </remarks>
    public TimeSpan RevocationTimeout { get; set; } = DefaultRevocationTimeout;

    /// <summary>
    /// Gets or sets a value indicating whether every server certificate is accepted: no chain, host name, validity
    /// or strictness check. For local development against a server whose certificate cannot be trusted.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <remarks>
    /// <para>
    /// Refused at startup (a <see cref="ClientCertificateException"/> with
    /// <see cref="ClientCertificateFailureReason.InvalidServerTrust"/>) unless the host environment is
    /// <c>Development</c>: <c>IHostEnvironment.EnvironmentName</c> when a host is used, otherwise the
    /// <c>DOTNET_ENVIRONMENT</c> or <c>ASPNETCORE_ENVIRONMENT</c> environment variable. A production deployment, whose
    /// environment defaults to <c>Production</c>, cannot turn it on through configuration alone.
    /// </para>
    /// <para>
    /// When allowed it logs a warning at startup and on every server certificate it accepts.
    /// <see cref="PinnedPublicKeys"/> (matched against the leaf's own key only, as nothing validated the chain),
    /// <see cref="AllowedServerIdentities"/> and validators still apply.
    /// </para>
    /// </remarks>
    public bool DangerousAcceptAnyServerCertificate { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a server certificate signed with SHA-1 (or MD5) is accepted. The
    /// platform accepts it; ClientCertHttp rejects it by default as
    /// <see cref="ServerCertificateFailureReason.WeakSignatureAlgorithm"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowSha1SignedServerCertificate { get; set; }

    /// <summary>
    /// Gets or sets the smallest RSA key, in bits, accepted in any certificate of the server's chain: its own, the
    /// intermediates and the root. Smaller keys are rejected as <see cref="ServerCertificateFailureReason.WeakKey"/>;
    /// the platform accepts them.
    /// </summary>
    /// <value>The default value is 2048.</value>
    /// <remarks>
    /// The same rule rejects, with no relaxation, an elliptic-curve key on a curve under 256 bits (P-192 gives about 96
    /// bits of security) and any DSA key (withdrawn from FIPS 186-5) anywhere in the chain; the platform accepts both.
    /// </remarks>
    public int MinimumRsaKeySize { get; set; } = 2048;

    /// <summary>
    /// Gets or sets a value indicating whether a server certificate without a subject alternative name extension
    /// (whose host name can only match its common name) is accepted. The platform accepts it; ClientCertHttp rejects it
    /// by default as <see cref="ServerCertificateFailureReason.MissingSubjectAlternativeName"/>, as browsers do.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <remarks>
    /// Only a certificate with no subject alternative name extension at all may then match by its common name. When the
    /// extension is present, the common name is never matched (RFC 6125), whatever this setting says: a certificate
    /// whose subject alternative names hold only URIs or e-mail addresses (as many SPIFFE certificates do), or only an
    /// IP address while the client connects by name, is rejected as
    /// <see cref="ServerCertificateFailureReason.NameMismatch"/> even though the platform matches its common name.
    /// </remarks>
    public bool AllowServerCertificateWithoutSubjectAlternativeName { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a CA certificate (basic constraints CA:TRUE) is accepted as the server's
    /// own certificate. The platform accepts it; ClientCertHttp rejects it by default as
    /// <see cref="ServerCertificateFailureReason.CertificateAuthorityAsServerCertificate"/>: a server holding a CA key
    /// could issue certificates for any name under the same root.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <remarks>When set, the CA certificate's own key usages (keyCertSign) are accepted with it.</remarks>
    public bool AllowCertificateAuthorityAsServerCertificate { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a server certificate that is not a CA certificate but whose key usage
    /// includes keyCertSign is accepted. The platform accepts it; ClientCertHttp rejects it by default as
    /// <see cref="ServerCertificateFailureReason.CertificateSigningKeyAsServerCertificate"/>: its key is meant to sign
    /// certificates, and a key that signs certificates does not belong on a server.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowCertificateSigningKeyAsServerCertificate { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a server certificate without an extended key usage extension is
    /// accepted. The platform accepts it (no extension means any usage); ClientCertHttp rejects it by default as
    /// <see cref="ServerCertificateFailureReason.MissingServerAuthenticationUsage"/>, and requires the serverAuth usage
    /// (1.3.6.1.5.5.7.3.1) as the CA/Browser Forum does. For legacy private CAs that issue server certificates without
    /// the extension.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <remarks>
    /// A certificate whose extension lists other usages but not serverAuth — only anyExtendedKeyUsage, for example — is
    /// rejected as <see cref="ServerCertificateFailureReason.NotValidForServerAuthentication"/> whatever this says (the
    /// platform rejects it too).
    /// </remarks>
    public bool AllowServerCertificateWithoutExtendedKeyUsage { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a wildcard DNS name of the server's certificate (<c>*.example.com</c>) is
    /// judged against the name constraints of its CAs only as the literal text, as the platform judges it. By default
    /// ClientCertHttp judges a wildcard by every name it can match, and rejects as
    /// <see cref="ServerCertificateFailureReason.NameConstraintViolation"/> a wildcard that can match a name an excluded
    /// subtree holds (<c>*.example.com</c> under an exclusion of <c>bad.example.com</c>) or one a permitted subtree does
    /// not hold.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <remarks>
    /// ClientCertHttp evaluates the DNS and IP address name constraints of every CA of the built chain (intermediates and
    /// root) over every DNS name and IP address of the server's certificate. Names without wildcards, and a name
    /// constraints extension that cannot be read, are rejected whatever this says.
    /// </remarks>
    public bool AllowWildcardNameConstraintOverlap { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the client's <see cref="IServerCertificateValidator"/>s replace the
    /// built-in verdict instead of only adding restrictions to it.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: validators run only for certificates the built-in checks accepted, and can only reject.</value>
    /// <remarks>
    /// When <see langword="true"/>, validators also run for certificates the built-in checks rejected
    /// (<see cref="ServerCertificateValidationContext.BuiltInFailure"/> says why), and the certificate is accepted
    /// when every validator returns <see cref="ServerCertificateValidationResult.Accept"/>. The client then trusts
    /// whatever chains its validators trust: use it only for validation the built-in checks cannot express. Only the
    /// verdict on the chain is replaced (the platform's, and ClientCertHttp's name constraint and CA key rules): the host
    /// name check, <see cref="PinnedPublicKeys"/>, <see cref="AllowedServerIdentities"/> and the leaf rules (signature
    /// algorithm, key size, subject alternative name, CA-as-leaf, keyCertSign, extended key usage) reject a certificate
    /// whatever the validators say (only
    /// <see cref="DangerousAcceptAnyServerCertificate"/> turns the host name check off). Requires at least one validator and logs a
    /// warning at startup.
    /// </remarks>
    public bool ValidatorsReplaceBuiltInVerdict { get; set; }
}
