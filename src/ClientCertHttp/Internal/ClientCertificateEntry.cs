using System.Security.Cryptography;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Internal;

/// <summary>
/// One client's certificate over the lifetime of the application: the TLS state in use, reloads (file changes,
/// configuration changes, manual), expiry monitoring, and the retirement of replaced states after a drain time.
/// </summary>
/// <remarks>
/// Readers (<see cref="Current"/>) never lock: the state is swapped with one volatile write. Reloads are serialized by
/// a lock that only the rare reload path takes.
/// </remarks>
internal sealed class ClientCertificateEntry : IDisposable
{
    internal const string StartupTrigger = "startup";
    internal const string FileChangeTrigger = "file_change";
    internal const string ConfigurationTrigger = "configuration";
    internal const string ManualTrigger = "manual";

    internal const string ProviderChangeTrigger = "provider_change";
    internal const string StoreRefreshTrigger = "store_refresh";

    private static readonly TimeSpan ExpiryLogInterval = TimeSpan.FromDays(1);

    /// <summary>How often a certificate-store source is queried again (stores have no change notification on Linux).</summary>
    internal static readonly TimeSpan StoreRefreshInterval = TimeSpan.FromMinutes(1);

    private readonly ClientTlsStateCache _cache;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ClientCertHttpInstruments _instruments;
    private readonly Lock _reloadLock = new();
    private readonly List<(ClientTlsState State, ITimer Timer)> _retired = [];
    private ClientTlsState _current;
    private ClientCertHttpOptions _lastSeenOptions;
    private byte[] _seenFingerprint = [];
    private byte[]? _pendingFingerprint;
    private ITimer? _timer;
    private TimeSpan _timerPeriod;
    private DateTimeOffset _lastExpiryLog = DateTimeOffset.MinValue;
    private int _polling;
    private bool _disposed;
    private DateTimeOffset _lastStoreRefresh;
    private IDisposable? _providerSubscription;
    private ClientCertificateReadinessReport _readiness;

    public ClientCertificateEntry(
        ClientTlsStateCache cache,
        string clientName,
        ClientCertHttpOptions options,
        ClientTlsState state,
        TimeProvider timeProvider,
        ILogger logger,
        ClientCertHttpInstruments instruments)
    {
        _cache = cache;
        ClientName = clientName;
        Options = options;
        _lastSeenOptions = options;
        _current = state;
        _timeProvider = timeProvider;
        _logger = logger;
        _instruments = instruments;
        LastReload = Result(succeeded: true, changed: true, previous: null, error: null);
        _readiness = MakeReadinessReport(state, options);
    }

    public string ClientName { get; }

    /// <summary>Gets the options the current state was built from (the last good options).</summary>
    public ClientCertHttpOptions Options { get; private set; }

    /// <summary>Gets the TLS state every new request uses.</summary>
    public ClientTlsState Current => Volatile.Read(ref _current);

    /// <summary>Gets the readiness report of the certificate in use, made once when it was loaded.</summary>
    public ClientCertificateReadinessReport ReadinessReport => Volatile.Read(ref _readiness);

    /// <summary>Gets the outcome of the last load or reload attempt.</summary>
    public ClientCertificateReloadResult LastReload { get; private set; }

    /// <summary>
    /// Raised after a reload replaced the certificate (not after a reload that found the same one), under the reload
    /// lock: subscribers must only schedule work, never block or reload.
    /// </summary>
    public event Action<ClientCertificateEntry>? CertificateChanged;

    /// <summary>Starts watching the files (or the store, or the provider's change token) and the expiry date.</summary>
    /// <param name="provider">The client's certificate provider, when that is its source.</param>
    public void Start(ICertificateProvider? provider = null)
    {
        _seenFingerprint = Fingerprint(Options);
        _lastStoreRefresh = _timeProvider.GetUtcNow();
        if (provider is not null)
        {
            var context = new CertificateProviderContext(ClientName, Options.Certificate);
            _providerSubscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(
                () => provider.GetChangeToken(context),
                () =>
                {
                    if (Options.Reload.Enabled)
                    {
                        Reload(Options, ProviderChangeTrigger);
                    }
                });
        }

        _instruments.Selected(ClientName, StartupTrigger);
        CheckExpiry();
        _timerPeriod = Options.Reload.PollInterval;
        _timer = _timeProvider.CreateTimer(_ => OnTimer(), null, _timerPeriod, _timerPeriod);
    }

    /// <summary>Reloads the certificate from the given options (the current ones for file changes and manual reloads).</summary>
    public ClientCertificateReloadResult Reload(ClientCertHttpOptions options, string trigger)
    {
        lock (_reloadLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var previous = _current;
            ClientTlsState? next = null;
            try
            {
                try
                {
                    next = _cache.Create(ClientName, options);
                }
                catch (ClientCertificateException ex)
                {
                    return Failed(trigger, ex.Message);
                }

                var certificateChanged = !previous.Certificate.HasSameMaterial(next.Certificate);
                if (previous.HasSameMaterial(next) && ReferenceEquals(options, Options))
                {
                    _instruments.Reloaded(ClientName, "unchanged");
                    return LastReload = Result(succeeded: true, changed: false, previous.Certificate.Certificate.Thumbprint, error: null);
                }

                Volatile.Write(ref _current, next);
                next = null;
                Options = options;
                Retire(previous);
                if (_timerPeriod != options.Reload.PollInterval && _timer is not null)
                {
                    _timerPeriod = options.Reload.PollInterval;
                    _timer.Change(_timerPeriod, _timerPeriod);
                }

                _instruments.Reloaded(ClientName, certificateChanged ? "changed" : "unchanged");
                if (certificateChanged)
                {
                    _lastExpiryLog = DateTimeOffset.MinValue;
                    _instruments.Selected(ClientName, trigger);
                    var leaf = _current.Certificate.Certificate;
                    Log.ClientCertificateReloaded(
                        _logger,
                        ClientName,
                        leaf.Subject,
                        leaf.Thumbprint,
                        new DateTimeOffset(leaf.NotAfter.ToUniversalTime()),
                        previous.Certificate.Certificate.Thumbprint,
                        trigger,
                        options.Reload.DrainTimeout);
                    Volatile.Write(ref _readiness, MakeReadinessReport(_current, options));
                    CertificateChanged?.Invoke(this);
                }

                return LastReload = Result(succeeded: true, changed: certificateChanged, previous.Certificate.Certificate.Thumbprint, error: null);
            }
            finally
            {
                // Disposes a freshly loaded state that turned out identical to the one in use.
                next?.Dispose();
            }
        }
    }

    /// <summary>Called whenever options validation sees an options instance for this client (configuration reloads).</summary>
    public void OnOptionsSeen(ClientCertHttpOptions options, ClientCertificateException? problems)
    {
        // The common case (every CreateClient asks with the cached options instance) takes no lock.
        if (ReferenceEquals(options, Volatile.Read(ref _lastSeenOptions)))
        {
            return;
        }

        lock (_reloadLock)
        {
            if (ReferenceEquals(options, _lastSeenOptions) || _disposed)
            {
                return;
            }

            Volatile.Write(ref _lastSeenOptions, options);
        }

        if (problems is not null)
        {
            lock (_reloadLock)
            {
                Failed(ConfigurationTrigger, problems.Message);
            }

            return;
        }

        Reload(options, ConfigurationTrigger);
    }

    public void Dispose()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            _providerSubscription?.Dispose();
            foreach (var (state, timer) in _retired)
            {
                timer.Dispose();
                state.Dispose();
            }

            _retired.Clear();
            _current.Dispose();
        }
    }

    internal void Poll()
    {
        var options = Options;
        if (!options.Reload.Enabled)
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(options.Certificate?.Store) || !string.IsNullOrWhiteSpace(options.Certificate?.Subject))
        {
            var now = _timeProvider.GetUtcNow();
            if (now - _lastStoreRefresh >= StoreRefreshInterval)
            {
                _lastStoreRefresh = now;
                Reload(options, StoreRefreshTrigger);
            }

            return;
        }

        var fingerprint = Fingerprint(options);
        if (fingerprint.AsSpan().SequenceEqual(_seenFingerprint))
        {
            _pendingFingerprint = null;
            return;
        }

        // A change is applied only once the content is the same on two polls in a row: a file still being written
        // is never loaded, and never replaces the good certificate.
        if (_pendingFingerprint is not null && fingerprint.AsSpan().SequenceEqual(_pendingFingerprint))
        {
            _seenFingerprint = fingerprint;
            _pendingFingerprint = null;
            Reload(options, FileChangeTrigger);
            return;
        }

        _pendingFingerprint = fingerprint;
    }

    internal void CheckExpiry()
    {
        var now = _timeProvider.GetUtcNow();
        if (now - _lastExpiryLog < ExpiryLogInterval)
        {
            return;
        }

        var leaf = Current.Certificate.Certificate;
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        if (now >= notAfter)
        {
            _lastExpiryLog = now;
            Log.ClientCertificateExpired(_logger, ClientName, leaf.Subject, leaf.Thumbprint, notAfter);
        }
        else if (notAfter - now <= Options.ExpiryWarningWindow)
        {
            _lastExpiryLog = now;
            Log.ClientCertificateExpiringSoon(_logger, ClientName, leaf.Subject, leaf.Thumbprint, notAfter, (notAfter - now).TotalDays);
        }
    }

    private void OnTimer()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }

        try
        {
            Poll();
            CheckExpiry();
        }
        catch (ObjectDisposedException)
        {
            // The application is shutting down.
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    /// <summary>Makes and logs the readiness report of a freshly loaded certificate (once per certificate, never per request).</summary>
    private ClientCertificateReadinessReport MakeReadinessReport(ClientTlsState state, ClientCertHttpOptions options)
    {
        var report = ClientCertificateReadiness.Analyze(ClientName, state.Certificate, options, _timeProvider.GetUtcNow());
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var leaf = report.Certificate;
            var sent = string.Join(" <- ", report.SentChain.Select(c => $"'{c.Subject}' ({c.Thumbprint})"));
            var findings = report.Findings.Count == 0 ? "." : ": " + string.Join(" ", report.Findings.Select(f => $"[{f.Severity} {f.Code}] {f.Message}"));
            Log.ClientCertificateReadiness(
                _logger,
                ClientName,
                report.Status,
                leaf.Subject,
                leaf.Thumbprint,
                leaf.KeyAlgorithm,
                leaf.KeySize,
                leaf.NotBefore,
                leaf.NotAfter,
                report.Source,
                sent,
                report.ChainStatus,
                report.UsageVerdict,
                report.Findings.Count,
                findings);
            foreach (var finding in report.Findings)
            {
                Log.ClientCertificateReadinessFinding(_logger, ClientName, finding.Severity, finding.Code, finding.Message);
            }
        }

        return report;
    }

    private ClientCertificateReloadResult Failed(string trigger, string problem)
    {
        var thumbprint = _current.Certificate.Certificate.Thumbprint;
        Log.ClientCertificateReloadFailed(_logger, ClientName, trigger, thumbprint, problem);
        _instruments.Reloaded(ClientName, "failure");
        return LastReload = Result(succeeded: false, changed: false, thumbprint, problem);
    }

    private ClientCertificateReloadResult Result(bool succeeded, bool changed, string? previous, string? error)
    {
        var leaf = _current.Certificate.Certificate;
        return new ClientCertificateReloadResult(
            ClientName,
            succeeded,
            changed,
            previous,
            leaf.Thumbprint,
            new DateTimeOffset(leaf.NotAfter.ToUniversalTime()),
            error,
            _timeProvider.GetUtcNow());
    }

    private void Retire(ClientTlsState previous)
    {
        // Handlers built on the previous state keep it until their own drain ends; it is disposed after the same drain.
        var drain = Options.Reload.DrainTimeout;
        ITimer? timer = null;
        timer = _timeProvider.CreateTimer(
            _ =>
            {
                lock (_reloadLock)
                {
                    var index = _retired.FindIndex(r => ReferenceEquals(r.State, previous));
                    if (index >= 0)
                    {
                        _retired[index].Timer.Dispose();
                        _retired.RemoveAt(index);
                        previous.Dispose();
                    }
                }
            },
            null,
            drain,
            Timeout.InfiniteTimeSpan);
        _retired.Add((previous, timer));
    }

    /// <summary>A hash of the content of every file the client's certificate and trust settings are read from.</summary>
    private static byte[] Fingerprint(ClientCertHttpOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in WatchedFiles(options))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path));
            try
            {
                var info = new FileInfo(path);
                if (info.Exists && info.Length <= CertificateFile.MaxFileSize)
                {
                    hash.AppendData(File.ReadAllBytes(path));
                }
                else
                {
                    hash.AppendData(BitConverter.GetBytes(info.Exists ? info.Length : -1));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Unreadable right now (being replaced): hashed as such, and read again at the next poll.
                hash.AppendData(BitConverter.GetBytes(-2L));
            }
        }

        return hash.GetHashAndReset();
    }

    internal static IEnumerable<string> WatchedFiles(ClientCertHttpOptions options)
    {
        var certificate = options.Certificate;
        foreach (var path in new[] { certificate?.Path, certificate?.KeyPath, certificate?.ChainPath })
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                yield return CertificateFile.ResolvePath(path);
            }
        }

        if (!string.IsNullOrWhiteSpace(certificate?.Directory))
        {
            // Opened by their plain names, which follow the kubelet's ..data link to the current timestamped folder.
            var folder = CertificateFile.ResolvePath(certificate.Directory);
            yield return Path.Combine(folder, DirectoryCertificateLoader.CertificateFileName);
            yield return Path.Combine(folder, DirectoryCertificateLoader.KeyFileName);
        }

        foreach (var path in new[] { options.ServerTrust?.RootCertificatesPath, options.ServerTrust?.IntermediateCertificatesPath })
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                yield return CertificateFile.ResolvePath(path);
            }
        }
    }
}
