using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Handler;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Certificates;

/// <summary>
/// The one owner of a client's TLS state: it loads it (once at startup, then on every reload), holds the state in
/// use, watches what it came from (options, files, store, provider) and drains what it replaced. Registered as a
/// keyed singleton per client name; every other part of the library only reads <see cref="Current"/>.
/// </summary>
/// <remarks>
/// <para>
/// Readers never lock: the state is swapped with one volatile write. Loads are serialized by one gate. Reloads from
/// a configuration change, a provider's change token, <see cref="IClientCertificateReloader"/> and certificate
/// rejections run on the thread pool and are coalesced (<see cref="ReloadAsync"/>); polls and retries run on the
/// source's own timer. None runs on a request thread or inside <c>IOptionsMonitor.Get</c>.
/// </para>
/// <para>
/// A reload that fails for any reason keeps the last good state, is logged and counted, and is tried again with
/// exponential backoff until it succeeds or another reload replaces it.
/// </para>
/// </remarks>
internal sealed partial class ClientCertificateSource : IDisposable
{
    /// <summary>The first wait before a failed reload is tried again; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts of a failing reload.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    private readonly IOptionsMonitor<ClientCertHttpOptions> _optionsMonitor;
    private readonly ClientTlsStateLoader _loader;
    private readonly int _providerCount;
    private readonly int _identityProviderCount;
    private bool _hasIdentities;
    private readonly ICertificateProvider? _provider;
    private readonly IReadOnlyList<IDisposable> _ownedValidators;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ClientCertHttpInstruments _instruments;
    private readonly Lock _gate = new();
    private readonly Lock _scheduleLock = new();
    private readonly IDisposable? _optionsSubscription;
    private ClientTlsState? _current;
    private ClientCertHttpOptions? _options;
    private ClientCertificateReloadResult? _lastReload;
    private ClientCertificateReadinessReport? _readiness;
    private long _optionsVersion;
    private long _appliedOptionsVersion;
    private long _loadsStarted;
    private long _lastCompletedLoad;
    private Task<ClientCertificateReloadResult>? _inFlight;
    private string? _pendingTrigger;
    private ITimer? _retryTimer;
    private int _failedAttempts;
    private bool _disposed;

    public ClientCertificateSource(
        string clientName,
        IOptionsMonitor<ClientCertHttpOptions> optionsMonitor,
        ClientTlsStateLoader loader,
        int providerCount,
        ICertificateProvider? provider,
        IReadOnlyList<IDisposable> ownedValidators,
        TimeProvider timeProvider,
        ILogger logger,
        ClientCertHttpInstruments instruments,
        int identityProviderCount = 0)
    {
        ClientName = clientName;
        _identityProviderCount = identityProviderCount;
        _optionsMonitor = optionsMonitor;
        _loader = loader;
        _providerCount = providerCount;
        _provider = provider;
        _ownedValidators = ownedValidators;
        _timeProvider = timeProvider;
        _logger = logger;
        _instruments = instruments;
        Drain = new DrainQueue(clientName, timeProvider, logger);
        HandshakeTimer = new TlsHandshakeTimer(clientName, instruments);

        // The version of the configuration is counted here, not inferred from options instances: an older instance
        // that some code still holds, or an extra one (IOptionsSnapshot, IOptionsFactory.Create), changes nothing.
        _optionsSubscription = optionsMonitor.OnChange(OnOptionsChanged);
    }

    /// <summary>Gets the client's name.</summary>
    public string ClientName { get; }

    /// <summary>Gets a value indicating whether the first load succeeded.</summary>
    public bool IsStarted => Volatile.Read(ref _current) is not null;

    /// <summary>Gets the TLS state every new connection uses, loading it first if the host did not start the client.</summary>
    /// <exception cref="ClientCertificateException">The first load failed.</exception>
    public ClientTlsState Current => Volatile.Read(ref _current) ?? StartAndGet(ref _current);

    /// <summary>Gets the options the current state was built from: the last good options.</summary>
    /// <exception cref="ClientCertificateException">The first load failed.</exception>
    public ClientCertHttpOptions Options => Volatile.Read(ref _options) ?? StartAndGet(ref _options);

    /// <summary>Gets the outcome of the last load or reload attempt.</summary>
    public ClientCertificateReloadResult LastReload => Volatile.Read(ref _lastReload) ?? StartAndGet(ref _lastReload);

    /// <summary>Gets the readiness report of the certificate in use, made once when it was loaded.</summary>
    /// <exception cref="InvalidOperationException">The client has identities and no certificate of its own.</exception>
    public ClientCertificateReadinessReport ReadinessReport => Volatile.Read(ref _readiness) ?? (Current.Certificate is null
        ? throw new InvalidOperationException($"HTTP client '{ClientName}' has identities and no certificate of its own, so it has no readiness report of its own; each identity's report is logged when it loads.")
        : StartAndGet(ref _readiness));

    /// <summary>Gets the number of loads started so far; a request notes it to recognize a load that started after it.</summary>
    public long LoadsStarted => Volatile.Read(ref _loadsStarted);

    /// <summary>Gets the loader, from which a per-identity client makes its identities' loaders.</summary>
    public ClientTlsStateLoader Loader => _loader;

    /// <summary>Gets the number of identity providers the client registered.</summary>
    public int IdentityProviderCount => _identityProviderCount;

    /// <summary>
    /// Gets a value indicating whether the applied options give the client identities (or it has an identity
    /// provider): decided when the options are applied, not per request.
    /// </summary>
    public bool HasIdentities
    {
        get
        {
            // Applied options first (the first read starts the source), then the flag decided with them.
            _ = Options;
            return Volatile.Read(ref _hasIdentities);
        }
    }

    /// <summary>Gets the handlers of replaced certificates that are still draining.</summary>
    public DrainQueue Drain { get; }

    /// <summary>Gets the timer of the client's TLS handshakes, installed on each of its handlers.</summary>
    public TlsHandshakeTimer HandshakeTimer { get; }

    /// <summary>Gets the instruments the client reports through.</summary>
    public ClientCertHttpInstruments Instruments => _instruments;

    /// <summary>
    /// Raised after a reload replaced the certificate (not after one that found the same), under the load gate:
    /// subscribers must only schedule work, never block or reload.
    /// </summary>
    public event Action<ClientCertificateSource>? CertificateChanged;

    /// <summary>
    /// Checks the options and loads the first state, then starts watching. Called by the startup step; does nothing
    /// when already started. Nothing is kept when it throws, so a corrected file is picked up by the next attempt.
    /// </summary>
    /// <exception cref="ClientCertificateException">Every problem of the options and of the load, at once.</exception>
    public void Start()
    {
        if (IsStarted)
        {
            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_current is not null)
            {
                return;
            }

            var version = Volatile.Read(ref _optionsVersion);
            var options = _optionsMonitor.Get(ClientName);

            // Taken before the load: a file that changes while it is read is seen as changed at the next poll.
            var fingerprint = Fingerprint(options);
            var check = ClientCertHttpOptionsValidator.Check(ClientName, options, _providerCount, _identityProviderCount);
            var problems = new List<ClientCertificateException>(check.Problems);
            ClientTlsState? state = null;
            if (check.LoadableSource is { } source)
            {
                try
                {
                    state = _loader.Load(options, source);
                }
                catch (ClientCertificateException ex)
                {
                    problems.Add(ex);
                }
            }

            if (problems.Count > 0)
            {
                // Nothing may stay half-configured, not even a certificate that loaded next to a bad setting.
                state?.Release();
                throw ClientCertificateException.Combine(ClientName, problems);
            }

            _appliedOptionsVersion = version;
            _seenFingerprint = fingerprint;
            Volatile.Write(ref _hasIdentities, ClientCertHttpOptionsValidator.HasIdentities(options, _identityProviderCount));
            Volatile.Write(ref _options, options);
            Volatile.Write(ref _readiness, MakeReadinessReport(state!, options));
            Volatile.Write(ref _lastReload, Result(state!, succeeded: true, changed: true, previous: null, error: null));

            // Last: a reader that sees the state sees everything that goes with it.
            Volatile.Write(ref _current, state);
            if (state!.Certificate is not null)
            {
                _instruments.Selected(ClientName, ClientCertHttpMetricValues.StartupTrigger);
            }

            StartWatching(options);
        }
    }

    /// <summary>
    /// Reloads on the thread pool, joining the reload in flight when there is one (and running once more after it, as
    /// the change that asked for this reload may have come after that one read its source).
    /// </summary>
    /// <param name="trigger">What asked for the reload, as reported in logs and metrics.</param>
    /// <param name="cancellationToken">Stops the wait, not the shared reload.</param>
    public Task<ClientCertificateReloadResult> ReloadAsync(string trigger, CancellationToken cancellationToken = default)
    {
        Start();
        return Schedule(trigger, joinOnly: false, loadsStartedBefore: -1).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Called when a server rejected <paramref name="used"/>: waits for one shared reload, and tells whether a
    /// different certificate is in use now. A reload that started after the request is trusted as it is: 200
    /// concurrent rejections cause one reload, not 200.
    /// </summary>
    /// <param name="used">The state the rejected request was sent with.</param>
    /// <param name="loadsStartedBefore">The value of <see cref="LoadsStarted"/> when the request started.</param>
    /// <param name="cancellationToken">The request's token: a canceled request stops waiting, the reload goes on.</param>
    public async ValueTask<bool> ReloadAfterRejectionAsync(ClientTlsState used, long loadsStartedBefore, CancellationToken cancellationToken)
    {
        var current = Current;
        if (ReferenceEquals(current, used))
        {
            await Schedule(ClientCertHttpMetricValues.RejectionTrigger, joinOnly: true, loadsStartedBefore).WaitAsync(cancellationToken).ConfigureAwait(false);
            current = Current;
        }

        return !current.SendsSameCertificate(used);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _optionsSubscription?.Dispose();
            _retryTimer?.Dispose();
            StopWatching();
            Drain.Dispose();
            _current?.Release();
            foreach (var validator in _ownedValidators)
            {
                validator.Dispose();
            }
        }
    }

    private T StartAndGet<T>(ref T? field)
        where T : class
    {
        Start();
        return Volatile.Read(ref field)!;
    }

    private Task<ClientCertificateReloadResult> Schedule(string trigger, bool joinOnly, long loadsStartedBefore)
    {
        lock (_scheduleLock)
        {
            if (_inFlight is { } running)
            {
                if (!joinOnly)
                {
                    _pendingTrigger = trigger;
                }

                return running;
            }

            if (joinOnly && Volatile.Read(ref _lastCompletedLoad) > loadsStartedBefore)
            {
                // A load that started after the request has completed: its verdict stands.
                return Task.FromResult(LastReload);
            }

            var run = Task.Run(() => RunReloads(trigger));
            _inFlight = run;
            return run;
        }
    }

    private ClientCertificateReloadResult RunReloads(string trigger)
    {
        while (true)
        {
            var result = ReloadNow(trigger);
            lock (_scheduleLock)
            {
                if (_pendingTrigger is not { } next || _disposed)
                {
                    _inFlight = null;
                    return result;
                }

                _pendingTrigger = null;
                trigger = next;
            }
        }
    }

    /// <summary>Loads again and swaps the state in when it differs; never throws, keeps the last good state on failure.</summary>
    private ClientCertificateReloadResult ReloadNow(string trigger)
    {
        lock (_gate)
        {
            if (_disposed || _current is null)
            {
                return Volatile.Read(ref _lastReload) ?? new ClientCertificateReloadResult(ClientName, false, false, null, string.Empty, DateTimeOffset.MinValue, "the client is not started", _timeProvider.GetUtcNow());
            }

            var load = Interlocked.Increment(ref _loadsStarted);
            using var activity = ClientCertHttpActivitySource.StartReload(ClientName, trigger);
            try
            {
                var result = ReloadLocked(trigger);
                ClientCertHttpActivitySource.Complete(activity, result);
                if (result.Succeeded)
                {
                    _failedAttempts = 0;
                    _retryTimer?.Dispose();
                    _retryTimer = null;
                    RewatchProviderIfBroken(_options!);
                }
                else
                {
                    ScheduleRetry();
                }

                return result;
            }
            finally
            {
                Volatile.Write(ref _lastCompletedLoad, load);
            }
        }
    }

    private ClientCertificateReloadResult ReloadLocked(string trigger)
    {
        var previous = _current!;
        ClientTlsState? next = null;
        try
        {
            var version = Volatile.Read(ref _optionsVersion);
            var options = _optionsMonitor.Get(ClientName);
            _seenFingerprint = Fingerprint(options);
            var check = ClientCertHttpOptionsValidator.Check(ClientName, options, _providerCount, _identityProviderCount);
            if (check.Problems.Count > 0)
            {
                return Failed(trigger, ClientCertificateException.Combine(ClientName, check.Problems).Message);
            }

            next = _loader.Load(options, check.LoadableSource!.Value);
            var certificateChanged = !ClientTlsState.SameCertificate(previous.Certificate, next.Certificate);
            if (version == _appliedOptionsVersion && previous.HasSameMaterial(next))
            {
                _instruments.Reloaded(ClientName, ClientCertHttpMetricValues.Unchanged);
                return Commit(Result(previous, succeeded: true, changed: false, previous.Thumbprint, error: null));
            }

            var state = next;
            next = null;
            var previousThumbprint = previous.Thumbprint;
            _appliedOptionsVersion = version;
            Volatile.Write(ref _hasIdentities, ClientCertHttpOptionsValidator.HasIdentities(options, _identityProviderCount));
            Volatile.Write(ref _options, options);
            Volatile.Write(ref _current, state);
            try
            {
                RestartPolling(options);
                _instruments.Reloaded(ClientName, certificateChanged ? ClientCertHttpMetricValues.Changed : ClientCertHttpMetricValues.Unchanged);
                if (certificateChanged && state.Certificate is { } loaded)
                {
                    _lastExpiryLog = DateTimeOffset.MinValue;
                    _instruments.Selected(ClientName, trigger);
                    var leaf = loaded.Certificate;
                    Log.ClientCertificateReloaded(
                        _logger,
                        ClientName,
                        leaf.Subject,
                        leaf.Thumbprint,
                        new DateTimeOffset(leaf.NotAfter.ToUniversalTime()),
                        previousThumbprint,
                        trigger,
                        options.Reload.DrainTimeout);
                    Volatile.Write(ref _readiness, MakeReadinessReport(state, options));
                }

                var result = Commit(Result(state, succeeded: true, certificateChanged, previousThumbprint, error: null));
                if (certificateChanged)
                {
                    CertificateChanged?.Invoke(this);
                }

                return result;
            }
            finally
            {
                // Handlers built on the previous state hold their own references; it is disposed when the last one drains.
                previous.Release();
            }
        }
        catch (ClientCertificateException ex)
        {
            return Failed(trigger, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever failed (a provider's own exception type, a platform error, a subscriber), the process keeps
            // running on the last good certificate. The message is not copied: it may quote a secret.
            return Failed(trigger, $"the reload threw {ex.GetType().FullName}.");
        }
        finally
        {
            // A freshly loaded state that turned out identical to the one in use.
            next?.Release();
        }
    }

    private void ScheduleRetry()
    {
        if (_disposed)
        {
            return;
        }

        _failedAttempts++;
        var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(_failedAttempts - 1, 20)));
        _retryTimer?.Dispose();
        _retryTimer = _timeProvider.CreateTimer(static state => ((ClientCertificateSource)state!).ReloadNow(ClientCertHttpMetricValues.RetryTrigger), this, delay, Timeout.InfiniteTimeSpan);
        Log.ClientCertificateReloadRetryScheduled(_logger, ClientName, _failedAttempts, delay, _current!.Thumbprint);
    }

    private void OnOptionsChanged(ClientCertHttpOptions options, string? name)
    {
        if (!string.Equals(name ?? Microsoft.Extensions.Options.Options.DefaultName, ClientName, StringComparison.Ordinal))
        {
            return;
        }

        Interlocked.Increment(ref _optionsVersion);
        if (IsStarted)
        {
            // Only schedules: this runs on the configuration's change-token thread.
            _ = Schedule(ClientCertHttpMetricValues.ConfigurationTrigger, joinOnly: false, loadsStartedBefore: -1);
        }
    }

    private ClientCertificateReloadResult Failed(string trigger, string problem)
    {
        var current = _current!;
        Log.ClientCertificateReloadFailed(_logger, ClientName, trigger, current.Thumbprint, problem);
        _instruments.Reloaded(ClientName, ClientCertHttpMetricValues.Failure);
        return Commit(Result(current, succeeded: false, changed: false, current.Thumbprint, problem));
    }

    private ClientCertificateReloadResult Commit(ClientCertificateReloadResult result)
    {
        Volatile.Write(ref _lastReload, result);
        return result;
    }

    private ClientCertificateReloadResult Result(ClientTlsState state, bool succeeded, bool changed, string? previous, string? error)
    {
        var leaf = state.Certificate?.Certificate;
        return new ClientCertificateReloadResult(
            ClientName,
            succeeded,
            changed,
            previous,
            state.Thumbprint,
            leaf is null ? DateTimeOffset.MaxValue : new DateTimeOffset(leaf.NotAfter.ToUniversalTime()),
            error,
            _timeProvider.GetUtcNow());
    }
}
