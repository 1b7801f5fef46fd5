using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Says where a client certificate comes from. The vocabulary follows Kestrel's certificate configuration.
/// </summary>
/// <remarks>
/// <para>Exactly one source may be configured per client; configuring two is a startup error that names both:</para>
/// <list type="bullet">
/// <item><description>a PKCS#12 file: <see cref="Path"/> (+ <see cref="Password"/>, optionally <see cref="Thumbprint"/>);</description></item>
/// <item><description>PEM files: <see cref="Path"/> + <see cref="KeyPath"/> (+ <see cref="Password"/> for an encrypted key, optionally <see cref="ChainPath"/>);</description></item>
/// <item><description>an operating-system certificate store: <see cref="Store"/> / <see cref="Location"/> with <see cref="Thumbprint"/> or <see cref="Subject"/>;</description></item>
/// <item><description>an inline value: <see cref="Base64"/> (PKCS#12 bytes or PEM text);</description></item>
/// <item><description>a Kubernetes <c>kubernetes.io/tls</c> secret mount: <see cref="Directory"/>;</description></item>
/// <item><description>a Kubernetes Pod Certificates credential bundle (one PEM file: the key, then the chain): <see cref="CredentialBundlePath"/>;</description></item>
/// <item><description>a custom <see cref="ICertificateProvider"/> registered with <c>AddCertificateProvider</c>.</description></item>
/// </list>
/// <para>
/// Every certificate other than the client certificate that the source holds (and, for stores, the intermediates
/// found in the store's CA store) is sent to the server as part of the chain.
/// </para>
/// </remarks>
public sealed class ClientCertificateOptions
{
    /// <summary>The largest value <see cref="KeyDerivationIterationLimit"/> accepts.</summary>
    public const int MaxKeyDerivationIterationLimit = 2_000_000;

    /// <summary>The longest <see cref="ProviderTimeout"/> accepted.</summary>
    public static readonly TimeSpan MaxProviderTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets the path of the PKCS#12 (<c>.pfx</c> / <c>.p12</c>) file or, when <see cref="KeyPath"/> is set,
    /// of the PEM certificate file (the client certificate and, optionally, its intermediates). A
    /// relative path is resolved against the process's current directory, and error messages show the full path that
    /// was tried.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>
    /// Gets or sets the path of the PEM private key that belongs to the certificate in <see cref="Path"/>: PKCS#8
    /// (<c>PRIVATE KEY</c> or, with <see cref="Password"/>, <c>ENCRYPTED PRIVATE KEY</c>), PKCS#1 (<c>RSA PRIVATE KEY</c>)
    /// or SEC1 (<c>EC PRIVATE KEY</c>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="Path"/> is a PKCS#12 file.</value>
    public string? KeyPath { get; set; }

    /// <summary>
    /// Gets or sets the path of a PEM bundle of intermediate CA certificates sent after the PEM client certificate.
    /// Only used with <see cref="KeyPath"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ChainPath { get; set; }

    /// <summary>
    /// Gets or sets the password of the PKCS#12 file (or inline PKCS#12 value), or of the encrypted PKCS#8 PEM key.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no password).</value>
    /// <remarks>The password is never logged and never appears in an exception message.</remarks>
    public string? Password { get; set; }

    /// <summary>
    /// Gets or sets the path of a file that holds the password instead of <see cref="Password"/>, for example a mounted
    /// Kubernetes secret key. The file is read at every load of the certificate, and watched with it, so a rotated
    /// secret is picked up together with the certificate it opens.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>
    /// The content is the password exactly as written, as for <see cref="Password"/>: nothing is trimmed (a UTF-8 byte
    /// order mark is not part of the content). A trailing newline, as <c>echo</c> writes, is reported as a readiness
    /// warning when the certificate opens with it, and named in the error when it does not. Setting both
    /// <see cref="Password"/> and <see cref="PasswordFile"/> is a startup error; a missing or unreadable file is a startup
    /// error that names the path. The content is never logged and never appears in an exception message.
    /// </remarks>
    public string? PasswordFile { get; set; }

    /// <summary>
    /// Gets or sets the SHA-1 or SHA-256 thumbprint (hexadecimal, case, spaces and colons ignored) of the client
    /// certificate: with <see cref="Path"/> or <see cref="Base64"/> it picks the certificate when a PKCS#12 holds
    /// several with private keys; with <see cref="Store"/> it finds the certificate in the store.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Thumbprint { get; set; }

    /// <summary>
    /// Gets or sets the subject to look for in <see cref="Store"/>. As in Kestrel, it matches every certificate whose
    /// subject contains the value (case-insensitive); among the matches the one that is valid now, has a private key,
    /// allows client authentication and expires last is used.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Subject { get; set; }

    /// <summary>
    /// Gets or sets the name of the operating-system certificate store to search (for example <c>My</c>). Setting it,
    /// or <see cref="Subject"/>, selects the store as the certificate source.
    /// </summary>
    /// <value>The default value is <see langword="null"/>; with <see cref="Subject"/> alone, <c>My</c> is searched.</value>
    public string? Store { get; set; }

    /// <summary>
    /// Gets or sets the location of <see cref="Store"/>: <see cref="StoreLocation.CurrentUser"/> or
    /// <see cref="StoreLocation.LocalMachine"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>, which means <see cref="StoreLocation.CurrentUser"/>.</value>
    public StoreLocation? Location { get; set; }

    /// <summary>
    /// Gets or sets the certificate as an inline value: Base64 of a PKCS#12 file (with <see cref="Password"/>), or
    /// PEM text (certificate, intermediates and private key; as is or Base64-encoded). Meant for secrets injected as
    /// configuration values or environment variables (<c>ClientCertHttp__Clients__payments__Certificate__Base64</c>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>The value is never logged and never appears in an exception message.</remarks>
    public string? Base64 { get; set; }

    /// <summary>
    /// Gets or sets a folder holding a Kubernetes <c>kubernetes.io/tls</c> secret mount: <c>tls.crt</c> (the client
    /// certificate followed by its intermediates) and <c>tls.key</c> (its private key). A <c>ca.crt</c> in the folder
    /// is ignored for the client chain. The kubelet's <c>..data</c> symbolic-link layout is supported.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Directory { get; set; }

    /// <summary>
    /// Gets or sets the path of a Kubernetes Pod Certificates credential bundle (KEP-4317, the projected volume's
    /// <c>credentialBundlePath</c>): one PEM file holding the private key first, then the certificate chain, the client
    /// certificate first. Every certificate after the first is sent as an intermediate. The kubelet's <c>..data</c>
    /// symbolic-link layout is supported, and the file is watched for rotation like every certificate file.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>
    /// A bundle whose first PEM block is not the private key, without a key or without a certificate, or whose key
    /// does not belong to the first certificate, is a startup error that names the path.
    /// </remarks>
    public string? CredentialBundlePath { get; set; }

    /// <summary>
    /// Gets or sets the largest PBKDF2 iteration count accepted for an encrypted PEM private key. The count is read
    /// from the key before any decryption, so a hostile key cannot make startup spend minutes deriving a key.
    /// PKCS#12 files are bounded by the platform's <see cref="Pkcs12LoaderLimits.Defaults"/> instead.
    /// </summary>
    /// <value>The default value is 600,000: OWASP's recommended count for PBKDF2-HMAC-SHA256, far above the 2,048 OpenSSL writes by default.</value>
    /// <remarks>Values above <see cref="MaxKeyDerivationIterationLimit"/> or below 1 are a startup error.</remarks>
    public int KeyDerivationIterationLimit { get; set; } = 600_000;

    /// <summary>
    /// Gets or sets how long startup waits for a custom <see cref="ICertificateProvider"/> before failing.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    /// <remarks>Values above <see cref="MaxProviderTimeout"/> or not positive are a startup error.</remarks>
    public TimeSpan ProviderTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
