using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// What can be known offline about whether servers will accept a client certificate: the certificate, the chain
/// as it is sent, whether that chain is complete, the key usages, and warnings with stable codes.
/// </summary>
/// <remarks>
/// A client-certificate client makes one report per certificate it loads (at startup and after each rotation), logs
/// it (events 60 and 61) and serves it from <see cref="IClientCertificateDiagnostics"/>. The
/// <see cref="CreateFromOptions(string, ClientCertHttpOptions, TimeProvider?)"/> and
/// <see cref="Create(X509Certificate2, X509Certificate2Collection?, ClientCertHttpOptions?, TimeProvider?)"/> methods make
/// the same report without a host, for tools and tests. All properties are plain values, so the report serializes
/// with <c>System.Text.Json</c> as is. It never holds a password or key material.
/// </remarks>
public sealed class ClientCertificateReadinessReport
{
    internal ClientCertificateReadinessReport(
        string? clientName,
        string source,
        DateTimeOffset createdAt,
        ClientCertificateChainElement certificate,
        IReadOnlyList<ClientCertificateChainElement> sentChain,
        ClientCertificateChainStatus chainStatus,
        ClientCertificateChainElement? root,
        string? missingIssuer,
        IReadOnlyList<string> missingIssuerDownloadUrls,
        ClientCertificateUsageVerdict usageVerdict,
        IReadOnlyList<string> extendedKeyUsages,
        IReadOnlyList<ClientCertificateReadinessFinding> findings)
    {
        ClientName = clientName;
        Source = source;
        CreatedAt = createdAt;
        Certificate = certificate;
        SentChain = sentChain;
        ChainStatus = chainStatus;
        Root = root;
        MissingIssuer = missingIssuer;
        MissingIssuerDownloadUrls = missingIssuerDownloadUrls;
        UsageVerdict = usageVerdict;
        ExtendedKeyUsages = extendedKeyUsages;
        Findings = findings;
        Status = findings.Any(f => f.Severity == ClientCertificateReadinessSeverity.Error)
            ? ClientCertificateReadinessStatus.NotReady
            : findings.Count > 0 ? ClientCertificateReadinessStatus.ReadyWithWarnings : ClientCertificateReadinessStatus.Ready;
    }

    /// <summary>Gets the name of the HTTP client, or <see langword="null"/> for a report made without a client.</summary>
    public string? ClientName { get; }

    /// <summary>Gets where the certificate came from: a file path, a store, a setting name or a provider (never a secret).</summary>
    public string Source { get; }

    /// <summary>Gets when the report was made.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets the overall verdict: the worst severity among <see cref="Findings"/>.</summary>
    public ClientCertificateReadinessStatus Status { get; }

    /// <summary>Gets the client (leaf) certificate.</summary>
    public ClientCertificateChainElement Certificate { get; }

    /// <summary>Gets the certificates the TLS handshake sends, in order: the leaf first, then the intermediates.</summary>
    public IReadOnlyList<ClientCertificateChainElement> SentChain { get; }

    /// <summary>Gets how far the chain can be completed offline.</summary>
    public ClientCertificateChainStatus ChainStatus { get; }

    /// <summary>
    /// Gets the self-signed root the chain reaches (never sent: the server must trust it), or <see langword="null"/>
    /// when the chain ends at an intermediate.
    /// </summary>
    public ClientCertificateChainElement? Root { get; }

    /// <summary>
    /// Gets the distinguished name of the issuer that could not be found, when <see cref="ChainStatus"/> is
    /// <see cref="ClientCertificateChainStatus.EndsAtIntermediate"/>.
    /// </summary>
    public string? MissingIssuer { get; }

    /// <summary>Gets the Authority Information Access (caIssuers) URLs the missing issuer could be downloaded from, if any.</summary>
    public IReadOnlyList<string> MissingIssuerDownloadUrls { get; }

    /// <summary>Gets whether the key usages allow TLS client authentication.</summary>
    public ClientCertificateUsageVerdict UsageVerdict { get; }

    /// <summary>Gets the OIDs of the certificate's extended key usages (empty when it has no such extension).</summary>
    public IReadOnlyList<string> ExtendedKeyUsages { get; }

    /// <summary>Gets the warnings and errors, each with a stable code.</summary>
    public IReadOnlyList<ClientCertificateReadinessFinding> Findings { get; }

    /// <summary>
    /// Loads a certificate exactly as a client with these options would (PFX, PEM files, store, inline value,
    /// Kubernetes folder or credential bundle) and reports on it, without a host or a running client.
    /// </summary>
    /// <param name="clientName">The name used in messages (for example the tool's or the client's name).</param>
    /// <param name="options">The client options; <see cref="ClientCertHttpOptions.Certificate"/> names the source.</param>
    /// <param name="timeProvider">The clock for validity checks; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The report. An expired certificate, or one without client-authentication usage, is reported as an error finding, not thrown.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clientName"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is empty.</exception>
    /// <exception cref="ClientCertificateException">
    /// The certificate cannot be loaded (missing file, wrong password, no private key, not exactly one source, …). A custom
    /// <see cref="ICertificateProvider"/> needs the client's services and cannot be used here.
    /// </exception>
    public static ClientCertificateReadinessReport CreateFromOptions(string clientName, ClientCertHttpOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientName);
        ArgumentNullException.ThrowIfNull(options);
        timeProvider ??= TimeProvider.System;

        var names = SettingNames.For(clientName, options);
        var certificateOptions = options.Certificate ?? new ClientCertificateOptions();
        var sources = CertificateSources.Configured(certificateOptions, providerCount: 0);
        if (sources.Count != 1)
        {
            throw new ClientCertificateException(
                clientName,
                sources.Count == 0 ? ClientCertificateFailureReason.NoCertificateConfigured : ClientCertificateFailureReason.MultipleCertificateSources,
                sources.Count == 0
                    ? $"{names.Prefix} has no certificate source: set {names["Certificate:Path"]}, {names["Certificate:Store"]}, {names["Certificate:Base64"]}, {names["Certificate:Directory"]} or {names["Certificate:CredentialBundlePath"]}."
                    : $"{names.Prefix} needs exactly one certificate source; {string.Join(" and ", sources.Select(s => names[s.Setting]))} are set. Keep one.");
        }

        var context = new CertificateLoadContext(names, certificateOptions, timeProvider.GetUtcNow(), NullLogger.Instance, Services: null)
        {
            ReportOnly = true,
        };
        using var loaded = CertificateSourceLoader.Load(context, sources[0].Kind);
        return ClientCertificateReadiness.Analyze(clientName, loaded, options, timeProvider.GetUtcNow());
    }

    /// <summary>Reports on a certificate that is already loaded, for example one taken from a vault.</summary>
    /// <param name="certificate">The client certificate (its private key is not needed for the report).</param>
    /// <param name="additionalCertificates">The intermediates (and, optionally, the root) that come with it.</param>
    /// <param name="options">The client options: <see cref="ClientCertHttpOptions.ExpiryWarningWindow"/> and the password check; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for validity checks; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The report; <see cref="SentChain"/> is the chain a client would build from these certificates and this machine's stores.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    public static ClientCertificateReadinessReport Create(
        X509Certificate2 certificate,
        X509Certificate2Collection? additionalCertificates = null,
        ClientCertHttpOptions? options = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var sourceCertificates = new X509Certificate2Collection(certificate);
        if (additionalCertificates is not null)
        {
            sourceCertificates.AddRange(additionalCertificates);
        }

        return ClientCertificateReadiness.Analyze(
            clientName: null,
            "an in-memory certificate",
            certificate,
            sentIntermediates: null,
            sourceCertificates,
            options ?? new ClientCertHttpOptions(),
            (timeProvider ?? TimeProvider.System).GetUtcNow());
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{(ClientName is null ? string.Empty : $"'{ClientName}': ")}{Status}, {Certificate}, chain {ChainStatus} ({SentChain.Count} sent), usage {UsageVerdict}, {Findings.Count} finding(s)");
}
