using System.Diagnostics.Metrics;
using ClientCertHttp.Certificates;

namespace ClientCertHttp.Diagnostics;

/// <summary>The instruments of the <c>ClientCertHttp</c> meter, created once per service provider.</summary>
internal sealed class ClientCertHttpInstruments
{
    // Owned and disposed by the meter factory; kept here so the instruments' meter is plainly alive as long as they are.
    private readonly Meter _meter;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _selections;
    private readonly Func<IEnumerable<ClientCertificateSource>> _sources;

    public ClientCertHttpInstruments(IMeterFactory meterFactory, TimeProvider timeProvider, Func<IEnumerable<ClientCertificateSource>> sources)
    {
        _sources = sources;
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

    public void Reloaded(string clientName, string result) =>
        _reloads.Add(1, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName), new KeyValuePair<string, object?>(ClientCertHttpMetrics.ResultTag, result));

    public void Selected(string clientName, string trigger) =>
        _selections.Add(1, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName), new KeyValuePair<string, object?>(ClientCertHttpMetrics.TriggerTag, trigger));

    private List<Measurement<double>> Observe(DateTimeOffset now)
    {
        List<Measurement<double>> measurements = [];
        try
        {
            foreach (var source in _sources())
            {
                if (source.Current.Certificate is not { } loaded)
                {
                    continue;
                }

                var notAfter = loaded.Certificate.NotAfter.ToUniversalTime();
                measurements.Add(new Measurement<double>(
                    (notAfter - now.UtcDateTime).TotalSeconds,
                    new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, source.ClientName)));
            }
        }
        catch (ObjectDisposedException)
        {
            // Collected while the application's services are being disposed: nothing left to report.
        }

        return measurements;
    }
}
