using System.Diagnostics.Metrics;
using ClientCertHttp.Internal;

namespace ClientCertHttp.Diagnostics;

/// <summary>The instruments of the <c>ClientCertHttp</c> meter, created once per service provider.</summary>
internal sealed class ClientCertHttpInstruments
{
    // Owned and disposed by the meter factory; kept here so the instruments' meter is plainly alive as long as they are.
    private readonly Meter _meter;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _selections;
    private Func<IEnumerable<ClientCertificateEntry>> _entries = () => [];

    public ClientCertHttpInstruments(IMeterFactory meterFactory, TimeProvider timeProvider)
    {
        _meter = meterFactory.Create(ClientCertHttpMetrics.MeterName);
        var meter = _meter;
        _reloads = meter.CreateCounter<long>(ClientCertHttpMetrics.Reloads, "{reload}", "Certificate reload attempts.");
        _selections = meter.CreateCounter<long>(ClientCertHttpMetrics.Selections, "{selection}", "Certificates loaded and selected for a client.");
        meter.CreateObservableGauge(
            ClientCertHttpMetrics.TimeToExpiry,
            () => Observe(timeProvider.GetUtcNow()),
            "s",
            "Time left until the client certificate in use expires.");
    }

    public void Attach(Func<IEnumerable<ClientCertificateEntry>> entries) => _entries = entries;

    public void Reloaded(string clientName, string result) =>
        _reloads.Add(1, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName), new KeyValuePair<string, object?>(ClientCertHttpMetrics.ResultTag, result));

    public void Selected(string clientName, string trigger) =>
        _selections.Add(1, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName), new KeyValuePair<string, object?>(ClientCertHttpMetrics.TriggerTag, trigger));

    private IEnumerable<Measurement<double>> Observe(DateTimeOffset now)
    {
        foreach (var entry in _entries())
        {
            var notAfter = entry.Current.Certificate.Certificate.NotAfter.ToUniversalTime();
            yield return new Measurement<double>(
                (notAfter - now.UtcDateTime).TotalSeconds,
                new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, entry.ClientName));
        }
    }
}
