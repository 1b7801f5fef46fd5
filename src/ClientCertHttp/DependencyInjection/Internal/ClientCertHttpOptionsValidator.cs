using ClientCertHttp.Certificates;
using ClientCertHttp.Identities;
using ClientCertHttp.Resilience;

namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// Checks a client's options without loading anything: every problem is reported at once, naming the client and the
/// configuration key. Pure: it reads the options and nothing else, changes nothing and can be called any number of
/// times. The client's <see cref="ClientCertificateSource"/> runs it before every load, at startup and for every
/// configuration change; it is deliberately not an <c>IValidateOptions</c> registration, so that a broken configuration
/// reload never makes <c>IOptionsMonitor.Get</c> throw in the application (the client keeps its last good options).
/// </summary>
internal static class ClientCertHttpOptionsValidator
{
    /// <summary>Checks the options of client <paramref name="name"/>.</summary>
    /// <param name="name">The client's name.</param>
    /// <param name="options">The options to check.</param>
    /// <param name="providerCount">How many certificate providers the client registered (AddCertificateProvider).</param>
    /// <param name="identityProviderCount">How many identity providers the client registered (AddClientCertificateIdentityProvider).</param>
    public static ClientCertHttpOptionsCheck Check(string name, ClientCertHttpOptions options, int providerCount, int identityProviderCount = 0)
    {
        var names = SettingNames.For(name, options);
        var problems = new List<ClientCertificateException>();

        foreach (var error in options.ConfigurationErrors ?? [])
        {
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.InvalidConfiguration, $"{names.Prefix}: {error}"));
        }

        if (options.BaseAddress is { } baseAddress
            && (!baseAddress.IsAbsoluteUri || !string.Equals(baseAddress.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.InvalidConfiguration,
                $"{names.Prefix}: {names["BaseAddress"]} must be an absolute https URI; a client certificate is only sent over TLS."));
        }

        if (options.Reload is { } reload)
        {
            if (reload.PollInterval < TimeSpan.FromMilliseconds(100) || reload.PollInterval > TimeSpan.FromHours(1))
            {
                problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Reload:PollInterval"]} must be between 00:00:00.100 and 01:00:00."));
            }

            if (reload.DrainTimeout < TimeSpan.Zero || reload.DrainTimeout > TimeSpan.FromHours(1))
            {
                problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Reload:DrainTimeout"]} must be between 00:00:00 and 01:00:00."));
            }
        }
        else
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Reload"]} must not be null."));
        }

        if (options.ExpiryWarningWindow < TimeSpan.Zero)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["ExpiryWarningWindow"]} must not be negative."));
        }

        ValidateRetry(name, names, options.Retry, problems);
        ValidateWarmup(name, names, options, problems);

        ValidateIdentities(name, names, options, identityProviderCount, problems);
        var hasIdentities = options.IdentityName is null && HasIdentities(options, identityProviderCount);

        var sources = CertificateSources.Configured(options.Certificate, providerCount);
        if (sources.Count == 0 && hasIdentities)
        {
            // A per-identity client without a certificate of its own: every request names an identity.
        }
        else if (sources.Count == 0)
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.NoCertificateConfigured,
                $"{names.Prefix} has no client certificate configured, so it would connect without one. Set {names["Certificate:Path"]} (and {names["Certificate:Password"]}) to a PKCS#12 (.pfx/.p12) file, or use PEM files ({names["Certificate:KeyPath"]}), a certificate store ({names["Certificate:Store"]}), an inline value ({names["Certificate:Base64"]}), a Kubernetes secret folder ({names["Certificate:Directory"]}), a Kubernetes Pod Certificates credential bundle ({names["Certificate:CredentialBundlePath"]}) or AddCertificateProvider."));
        }
        else if (sources.Count > 1)
        {
            var described = string.Join(" and ", sources.Select(s => s.Kind == CertificateSourceKind.Provider ? "a provider (AddCertificateProvider)" : names[s.Setting]).Distinct(StringComparer.Ordinal));
            var providerNote = sources.Count(s => s.Kind == CertificateSourceKind.Provider) > 1 ? $" (AddCertificateProvider was called {providerCount} times)" : string.Empty;
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.MultipleCertificateSources,
                $"{names.Prefix} has {sources.Count} certificate sources configured: {described}{providerNote}. A client sends one certificate; keep exactly one source and remove the others."));
        }

        if (options.Certificate is { } certificate)
        {
            AddOptionProblems(name, names, certificate, sources, problems);
        }

        // A load is still worth trying when the only problems are misspelled or misshapen keys: a misspelled Password
        // also shows up as a password problem, and both belong in the same report. Out-of-range limits are never used,
        // not even to load: they exist to bound the work a load may do.
        var loadable = (sources.Count == 1 || (sources.Count == 0 && hasIdentities))
            && options.Certificate is not null
            && LimitsInRange(options.Certificate)
            && !CertificatePassword.HasConflict(options.Certificate)
            && problems.TrueForAll(p => p.Reason == ClientCertificateFailureReason.InvalidConfiguration);
        return new ClientCertHttpOptionsCheck(problems, loadable ? (sources.Count == 0 ? CertificateSourceKind.None : sources[0].Kind) : null);
    }

    /// <summary>Tells whether the options (or registered providers) give the client identities.</summary>
    internal static bool HasIdentities(ClientCertHttpOptions options, int identityProviderCount) =>
        identityProviderCount > 0
        || options.Identities is { } identities && (identities.Certificates.Count > 0 || !string.IsNullOrWhiteSpace(identities.Directory));

    private static void ValidateIdentities(string name, SettingNames names, ClientCertHttpOptions options, int identityProviderCount, List<ClientCertificateException> problems)
    {
        if (options.IdentityName is not null)
        {
            // The options of one identity: its certificate is checked like a client's; the pool settings are the client's.
            return;
        }

        if (options.Identities is not { } identities)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Identities"]} must not be null."));
            return;
        }

        if (identities.MaxIdentities is < 1 or > ClientCertificateIdentityOptions.MaxMaxIdentities)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Identities:MaxIdentities"]} must be between 1 and {ClientCertificateIdentityOptions.MaxMaxIdentities}."));
        }

        if (identities.IdleTimeout <= TimeSpan.Zero && identities.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Identities:IdleTimeout"]} must be positive, or Timeout.InfiniteTimeSpan (-00:00:00.001) to keep identities until evicted."));
        }

        if (identityProviderCount > 1)
        {
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.MultipleCertificateSources, $"{names.Prefix}: AddClientCertificateIdentityProvider was called {identityProviderCount} times; a client has at most one identity provider."));
        }

        foreach (var (identity, certificate) in identities.Certificates)
        {
            var identityNames = names with { Identity = identity };
            if (!ClientCertificateIdentityNames.IsValid(identity))
            {
                problems.Add(InvalidSetting(name, $"{names.Prefix}: the identity '{identity}' in {names["Identities:Certificates"]} is not a valid identity: use letters, digits, '-', '_', '.' and '@' (at most {ClientCertificateIdentityNames.MaxLength} characters, not starting with '.')."));
                continue;
            }

            if (certificate is null)
            {
                problems.Add(InvalidSetting(name, $"{identityNames.Prefix}: {names["Identities:Certificates"]}:{identity} must not be null."));
                continue;
            }

            var sources = CertificateSources.Configured(certificate, providerCount: 0);
            if (sources.Count != 1)
            {
                problems.Add(new ClientCertificateException(
                    name,
                    sources.Count == 0 ? ClientCertificateFailureReason.NoCertificateConfigured : ClientCertificateFailureReason.MultipleCertificateSources,
                    $"{identityNames.Prefix}: {names["Identities:Certificates"]}:{identity} must configure exactly one certificate source (Path, Store, Base64, Directory or CredentialBundlePath); it configures {sources.Count}."));
                continue;
            }

            AddOptionProblems(name, identityNames, certificate, sources, problems);
        }
    }

    /// <summary>The most connections a client may warm up; more is a configuration mistake, not a warm-up.</summary>
    internal const int MaxWarmupConnections = 100;

    private static ClientCertificateException InvalidSetting(string name, string message) =>
        new(name, ClientCertificateFailureReason.InvalidConfiguration, message);

    private static bool LimitsInRange(ClientCertificateOptions certificate) =>
        certificate.KeyDerivationIterationLimit is >= 1 and <= ClientCertificateOptions.MaxKeyDerivationIterationLimit
        && certificate.ProviderTimeout > TimeSpan.Zero
        && certificate.ProviderTimeout <= ClientCertificateOptions.MaxProviderTimeout;

    private static void AddOptionProblems(
        string name,
        SettingNames names,
        ClientCertificateOptions certificate,
        List<(CertificateSourceKind Kind, string Setting)> sources,
        List<ClientCertificateException> problems)
    {
        void Add(string message) =>
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.InvalidConfiguration, $"{names.Prefix}: {message}"));

        if (sources.Count == 0 && !string.IsNullOrWhiteSpace(certificate.Thumbprint))
        {
            Add($"{names["Certificate:Thumbprint"]} alone does not say where to look; add {names["Certificate:Store"]} (for example 'My') to find it in a certificate store, or {names["Certificate:Path"]} for a PKCS#12 file.");
        }

        if (certificate.KeyDerivationIterationLimit is < 1 or > ClientCertificateOptions.MaxKeyDerivationIterationLimit)
        {
            Add($"{names["Certificate:KeyDerivationIterationLimit"]} must be between 1 and {ClientCertificateOptions.MaxKeyDerivationIterationLimit}; it is {certificate.KeyDerivationIterationLimit}.");
        }

        if (certificate.ProviderTimeout <= TimeSpan.Zero || certificate.ProviderTimeout > ClientCertificateOptions.MaxProviderTimeout)
        {
            Add($"{names["Certificate:ProviderTimeout"]} must be positive and at most {ClientCertificateOptions.MaxProviderTimeout}; it is {certificate.ProviderTimeout}.");
        }

        var fileSource = sources.Any(s => s.Kind == CertificateSourceKind.File);
        if (!fileSource && !string.IsNullOrWhiteSpace(certificate.KeyPath))
        {
            Add($"{names["Certificate:KeyPath"]} is set without {names["Certificate:Path"]}; set the PEM certificate file in {names["Certificate:Path"]}.");
        }

        if (string.IsNullOrWhiteSpace(certificate.KeyPath) && !string.IsNullOrWhiteSpace(certificate.ChainPath))
        {
            Add($"{names["Certificate:ChainPath"]} is only used with PEM files ({names["Certificate:Path"]} + {names["Certificate:KeyPath"]}); a PKCS#12 file carries its own chain.");
        }

        if (CertificatePassword.HasConflict(certificate))
        {
            problems.Add(CertificatePassword.Conflict(names));
        }

        if (certificate.Location is not null && string.IsNullOrWhiteSpace(certificate.Store) && string.IsNullOrWhiteSpace(certificate.Subject))
        {
            Add($"{names["Certificate:Location"]} is set but no store certificate is selected; set {names["Certificate:Store"]} with {names["Certificate:Thumbprint"]} or {names["Certificate:Subject"]}.");
        }

        if (certificate.Location is { } location && !Enum.IsDefined(location))
        {
            Add($"{names["Certificate:Location"]} must be CurrentUser or LocalMachine.");
        }
    }

    private static void ValidateWarmup(string name, SettingNames names, ClientCertHttpOptions options, List<ClientCertificateException> problems)
    {
        if (options.Warmup is not { } warmup)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Warmup"]} must not be null; leave it at its default or set {names["Warmup:Connections"]} to 0."));
            return;
        }

        if (warmup.Connections is < 0 or > MaxWarmupConnections)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Warmup:Connections"]} is {warmup.Connections}; it must be between 0 (no warm-up) and {MaxWarmupConnections}."));
        }
        else if (warmup.Connections > 0 && options.BaseAddress is null)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Warmup:Connections"]} is {warmup.Connections} but {names["BaseAddress"]} is not set; the warm-up connects to the base address, so set it (or set {names["Warmup:Connections"]} to 0)."));
        }

        if (warmup.Timeout < TimeSpan.FromMilliseconds(100) || warmup.Timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Warmup:Timeout"]} is {warmup.Timeout}; it must be between 00:00:00.100 and 00:05:00, so that the warm-up never holds up the start of the host for long."));
        }

        if (warmup.HttpVersion is { } version && version != System.Net.HttpVersion.Version11 && version != System.Net.HttpVersion.Version20)
        {
            problems.Add(InvalidSetting(name, $"{names.Prefix}: {names["Warmup:HttpVersion"]} is {version}; it must be 1.1 or 2.0 (2.0 for a gRPC client), or be left unset for the client's default request version."));
        }
    }

    private static void ValidateRetry(string name, SettingNames names, ClientCertHttpRetryOptions? retry, List<ClientCertificateException> problems)
    {
        void Problem(string message) =>
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.InvalidConfiguration, $"{names.Prefix}: {message}"));

        if (retry is null)
        {
            Problem("Retry is null; leave it at its default or set Retry:Enabled to false.");
            return;
        }

        // The ranges are Polly's own (RetryStrategyOptions, TimeoutStrategyOptions), checked here so that a wrong value
        // fails startup with the key's name rather than the first request.
        if (retry.MaxRetryAttempts < 1)
        {
            Problem($"{names["Retry:MaxRetryAttempts"]} is {retry.MaxRetryAttempts}; it must be at least 1 (set {names["Retry:Enabled"]} to false for no retries).");
        }

        if (retry.Delay < TimeSpan.Zero || retry.Delay > TimeSpan.FromDays(1))
        {
            Problem($"{names["Retry:Delay"]} is {retry.Delay}; it must be between 00:00:00 and 1.00:00:00.");
        }

        if (retry.MaxDelay is { } maxDelay && (maxDelay < retry.Delay || maxDelay > TimeSpan.FromDays(1)))
        {
            Problem($"{names["Retry:MaxDelay"]} is {maxDelay}; it must be at least {names["Retry:Delay"]} ({retry.Delay}) and at most 1.00:00:00.");
        }

        if (!Enum.IsDefined(retry.BackoffType))
        {
            Problem($"{names["Retry:BackoffType"]} has the unknown value {(int)retry.BackoffType}; use Constant, Linear or Exponential.");
        }

        var minimumTimeout = TimeSpan.FromMilliseconds(10);
        var maximumTimeout = TimeSpan.FromDays(1);
        if (retry.AttemptTimeout < minimumTimeout || retry.AttemptTimeout > maximumTimeout)
        {
            Problem($"{names["Retry:AttemptTimeout"]} is {retry.AttemptTimeout}; it must be between 00:00:00.010 and 1.00:00:00.");
        }

        if (retry.TotalTimeout < minimumTimeout || retry.TotalTimeout > maximumTimeout)
        {
            Problem($"{names["Retry:TotalTimeout"]} is {retry.TotalTimeout}; it must be between 00:00:00.010 and 1.00:00:00.");
        }
        else if (retry.TotalTimeout < retry.AttemptTimeout)
        {
            Problem($"{names["Retry:TotalTimeout"]} ({retry.TotalTimeout}) is shorter than {names["Retry:AttemptTimeout"]} ({retry.AttemptTimeout}), so no attempt could use its full time; make the total timeout at least as long.");
        }
    }
}

/// <summary>The outcome of <see cref="ClientCertHttpOptionsValidator.Check"/>.</summary>
/// <param name="Problems">Every problem found, in the order of the settings; empty when the options are valid.</param>
/// <param name="LoadableSource">The one certificate source to load, or <see langword="null"/> when no load may be tried.</param>
internal sealed record ClientCertHttpOptionsCheck(IReadOnlyList<ClientCertificateException> Problems, CertificateSourceKind? LoadableSource);
