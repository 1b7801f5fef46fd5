using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Handler;

/// <summary>
/// The one drain of a client: handlers of replaced certificates wait here for <c>Reload:DrainTimeout</c>, so that
/// requests in flight on them can complete, and are disposed after it. A handler holds a reference on the TLS state
/// it was built with (<see cref="ClientTlsState.TryAcquire"/>), so a state is disposed on the same clock, when its
/// last handler is. Bounded: beyond <see cref="MaxDraining"/> handlers the oldest is disposed early.
/// </summary>
internal sealed class DrainQueue(string clientName, TimeProvider timeProvider, ILogger logger) : IDisposable
{
    /// <summary>The most replaced handlers a client keeps draining at once.</summary>
    internal const int MaxDraining = 32;

    private readonly Lock _lock = new();
    private readonly List<(Action Dispose, DateTimeOffset Due)> _items = [];
    private ITimer? _timer;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private bool _disposed;

    /// <summary>Gets how many items are draining.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="item"/> (a disposal) after <paramref name="drainTimeout"/>, at once when it is zero or the queue is disposed.</summary>
    public void Add(Action item, TimeSpan drainTimeout)
    {
        Action? now = null;
        lock (_lock)
        {
            if (_disposed || drainTimeout <= TimeSpan.Zero)
            {
                now = item;
            }
            else
            {
                var due = timeProvider.GetUtcNow() + drainTimeout;
                var index = _items.FindIndex(i => i.Due > due);
                _items.Insert(index < 0 ? _items.Count : index, (item, due));
                if (_items.Count > MaxDraining)
                {
                    now = _items[0].Dispose;
                    _items.RemoveAt(0);
                    Log.ClientCertificateHandlerDrainCapReached(logger, clientName, MaxDraining);
                }

                Reschedule();
            }
        }

        now?.Invoke();
    }

    public void Dispose()
    {
        List<(Action Dispose, DateTimeOffset Due)> items;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            items = [.. _items];
            _items.Clear();
        }

        foreach (var (dispose, _) in items)
        {
            dispose();
        }
    }

    private void OnTimer()
    {
        var due = new List<Action>();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = timeProvider.GetUtcNow();
            while (_items.Count > 0 && _items[0].Due <= now)
            {
                due.Add(_items[0].Dispose);
                _items.RemoveAt(0);
            }

            _timerDue = DateTimeOffset.MaxValue;
            Reschedule();
        }

        foreach (var dispose in due)
        {
            dispose();
        }
    }

    /// <summary>Points the one timer at the earliest due item (under the lock).</summary>
    private void Reschedule()
    {
        if (_items.Count == 0)
        {
            return;
        }

        var first = _items[0].Due;
        if (first >= _timerDue)
        {
            return;
        }

        _timerDue = first;
        var wait = first - timeProvider.GetUtcNow();
        wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        if (_timer is null)
        {
            _timer = timeProvider.CreateTimer(static state => ((DrainQueue)state!).OnTimer(), this, wait, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(wait, Timeout.InfiniteTimeSpan);
        }
    }
}
