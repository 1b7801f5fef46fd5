using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

/// <summary>
/// Holds one <see cref="ClientCertificateEntry"/> per client: the certificate and trust settings are loaded once at
/// startup and again only on a reload, and every handler the factory builds shares the entry's current state.
/// </summary>
internal sealed class ClientTlsStateCache : IDisposable
{
    private readonly ConcurrentDictionary<string, ClientCertificateEntry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ClientCertHttpInstruments _instruments;
    private readonly ClientCertHttpClientRegistry? _registry;
    private readonly IServiceProvider _services;
    private readonly IOptionsMonitor<ServerCertificateValidatorRegistrations> _validators;
    private readonly string _environmentName;

    public ClientTlsStateCache(
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        ClientCertHttpInstruments instruments,
        ClientCertHttpClientRegistry? registry,
        IServiceProvider services)
    {
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger(Log.CategoryName);
        _instruments = instruments;
        _registry = registry;
        _services = services;
        _validators = services.GetRequiredService<IOptionsMonitor<ServerCertificateValidatorRegistrations>>();
        instruments.Attach(() => _entries.Values);

        // The rule that fences DangerousAcceptAnyServerCertificate: the host's environment, or the variables the
        // hosts read, defaulting (as they do) to Production.
        _environmentName = services.GetService<IHostEnvironment>()?.EnvironmentName
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environments.Production;
    }

    /// <summary>Gets the entries of the clients loaded so far.</summary>
    public ICollection<ClientCertificateEntry> Entries => _entries.Values;

    /// <summary>
    /// Gets the client's entry, loading the certificate the first time. Later options instances (configuration
    /// reloads) are applied as reloads that keep the last good certificate when they fail.
    /// </summary>
    /// <exception cref="ClientCertificateException">The first load failed: the certificate or the trust settings cannot be used.</exception>
    public ClientCertificateEntry GetOrCreate(string clientName, ClientCertHttpOptions options)
    {
        if (!_entries.TryGetValue(clientName, out var entry))
        {
            lock (_gate)
            {
                if (!_entries.TryGetValue(clientName, out entry))
                {
                    // Nothing is cached when this throws, so a corrected file is picked up by the next attempt.
                    var state = Create(clientName, options);
                    entry = new ClientCertificateEntry(this, clientName, options, state, _timeProvider, _logger, _instruments);
                    _entries[clientName] = entry;
                    entry.Start(_registry?.ProviderCount(clientName) > 0
                        ? _services.GetKeyedService<ICertificateProvider>(clientName)
                        : null);
                    return entry;
                }
            }
        }

        entry.OnOptionsSeen(options, problems: null);
        return entry;
    }

    public bool TryGetEntry(string clientName, [NotNullWhen(true)] out ClientCertificateEntry? entry) =>
        _entries.TryGetValue(clientName, out entry);

    public void Remove(string clientName)
    {
        if (_entries.TryRemove(clientName, out var entry))
        {
            entry.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var entry in _entries.Values)
        {
            entry.Dispose();
        }

        _entries.Clear();
    }

    /// <summary>Loads the certificate and trust settings of a client; nothing is kept when it throws.</summary>
    internal ClientTlsState Create(string clientName, ClientCertHttpOptions options)
    {
        var names = SettingNames.For(clientName, options);
        var problems = new List<ClientCertificateException>();
        var trustOptions = options.ServerTrust ?? new ServerTrustOptions();
        var validatorFactories = _validators.Get(clientName).Factories;
        var isDevelopment = string.Equals(_environmentName, Environments.Development, StringComparison.OrdinalIgnoreCase);
        ServerTrustSettings? trust = null;
        LoadedClientCertificate? certificate = null;
        try
        {
            trust = ServerTrustPolicy.Create(names, trustOptions, isDevelopment, validatorFactories.Count, problems);
            try
            {
                var certificateOptions = options.Certificate ?? new ClientCertificateOptions();
                var sources = CertificateSources.Configured(certificateOptions, _registry?.ProviderCount(clientName) ?? 0);
                if (sources.Count != 1)
                {
                    // The validator reports this with the full explanation before the cache is ever asked.
                    throw new ClientCertificateException(
                        clientName,
                        sources.Count == 0 ? ClientCertificateFailureReason.NoCertificateConfigured : ClientCertificateFailureReason.MultipleCertificateSources,
                        $"{names.Prefix} needs exactly one certificate source; {sources.Count} are configured.");
                }

                var context = new CertificateLoadContext(names, certificateOptions, _timeProvider.GetUtcNow(), _logger, _services);
                certificate = CertificateSourceLoader.Load(context, sources[0].Kind);
            }
            catch (ClientCertificateException ex)
            {
                problems.Add(ex);
            }

            if (problems.Count > 0 || certificate is null || trust is null)
            {
                throw ClientCertificateException.Combine(clientName, problems);
            }

            // Validators are created once per options instance, like the rest of the state: never per handshake.
            var validators = validatorFactories.Select(factory => factory(_services)).ToArray();
            var verifier = new ServerCertificateVerifier(clientName, trust, validators, _logger);
            var state = new ClientTlsState(certificate, trust, verifier);
            certificate = null;
            var settings = trust;
            trust = null;
            LogLoaded(clientName, state.Certificate, settings);
            LogTrust(clientName, trustOptions, settings, validators.Length);
            return state;
        }
        finally
        {
            certificate?.Dispose();
            trust?.Dispose();
        }
    }

    private void LogTrust(string clientName, ServerTrustOptions options, ServerTrustSettings trust, int validatorCount)
    {
        Log.ServerTrustConfigured(_logger, clientName, options.Mode, options.RevocationMode, options.RevocationTimeout, trust.Pins.Length, trust.AllowedIdentities.Length, validatorCount);
        if (trust.DangerousAcceptAny)
        {
            Log.DangerousAcceptAnyServerCertificateEnabled(_logger, clientName, _environmentName);
        }

        if (trust.ValidatorsReplaceBuiltInVerdict)
        {
            Log.ValidatorsReplaceBuiltInVerdict(_logger, clientName, validatorCount);
        }
    }

    private void LogLoaded(string clientName, LoadedClientCertificate loaded, ServerTrustSettings trust)
    {
        var leaf = loaded.Certificate;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var sent = string.Join(" <- ", loaded.Context.IntermediateCertificates.Select(c => $"'{c.Subject}'").Prepend($"'{leaf.Subject}'"));
            Log.ClientCertificateLoaded(_logger, clientName, loaded.Source, leaf.Subject, leaf.Thumbprint, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), loaded.ChainLength, sent);
        }

        if (trust.CustomRoots.Count > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            var roots = trust.CustomRoots;
            var subjects = string.Join(", ", roots.Select(r => $"'{r.Subject}'"));
            Log.ServerTrustCustomRoots(_logger, clientName, roots.Count, subjects);
        }
    }

}
