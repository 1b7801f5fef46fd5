using System.Collections.Concurrent;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

/// <summary>
/// Loads each client's certificate and trust settings once per options instance (so once at startup, and again
/// only when the options change) and hands the same TLS state to every handler the factory builds.
/// </summary>
internal sealed class ClientTlsStateCache : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Entry> _replaced = [];
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly IServiceProvider _services;
    private readonly IOptionsMonitor<ServerCertificateValidatorRegistrations> _validators;
    private readonly string _environmentName;

    public ClientTlsStateCache(TimeProvider timeProvider, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger(Log.CategoryName);
        _services = services;
        _validators = services.GetRequiredService<IOptionsMonitor<ServerCertificateValidatorRegistrations>>();

        // The rule that fences DangerousAcceptAnyServerCertificate: the host's environment, or the variables the
        // hosts read, defaulting (as they do) to Production.
        _environmentName = services.GetService<IHostEnvironment>()?.EnvironmentName
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environments.Production;
    }

    /// <summary>Gets the TLS state for the client, loading it when the options instance is new.</summary>
    /// <exception cref="ClientCertificateException">The certificate or the trust settings cannot be used.</exception>
    public ClientTlsState GetOrCreate(string clientName, ClientCertHttpOptions options)
    {
        if (_entries.TryGetValue(clientName, out var current) && ReferenceEquals(current.Options, options))
        {
            return current.State.Value;
        }

        var candidate = new Entry(options, new Lazy<ClientTlsState>(() => Create(clientName, options)));
        var entry = _entries.AddOrUpdate(
            clientName,
            candidate,
            (_, existing) =>
            {
                if (ReferenceEquals(existing.Options, options))
                {
                    return existing;
                }

                // Handlers built from the old state may still have connections in flight, so it is kept until the
                // cache is disposed rather than disposed under them.
                _replaced.Add(existing);
                return candidate;
            });

        try
        {
            return entry.State.Value;
        }
        catch (ClientCertificateException)
        {
            // Forget the failure so a corrected file is picked up by the next attempt.
            _entries.TryRemove(KeyValuePair.Create(clientName, entry));
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var entry in _entries.Values.Concat(_replaced))
        {
            if (entry.State.IsValueCreated)
            {
                entry.State.Value.Dispose();
            }
        }

        _entries.Clear();
    }

    private ClientTlsState Create(string clientName, ClientCertHttpOptions options)
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
                certificate = Pkcs12CertificateLoader.Load(names, options.Certificate, _timeProvider.GetUtcNow());
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

    private sealed record Entry(ClientCertHttpOptions Options, Lazy<ClientTlsState> State);
}
