using System.Diagnostics.Metrics;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Identities;

/// <summary>
/// The identity instruments of the <c>ClientCertHttp</c> meter. Tagged per client; the identity tag is added only for
/// clients that opt in (<see cref="ClientCertificateIdentityOptions.IncludeIdentityInMetrics"/>), as every identity
/// would otherwise be a time series of its own.
/// </summary>
internal sealed class IdentityInstruments
{
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Unknown = "unknown_identity";
    public const string CapacityReason = "capacity";
    public const string IdleReason = "idle";
    public const string ManualReason = "manual";

    private readonly Meter _meter;
    private readonly Counter<long> _loads;
    private readonly Counter<long> _evictions;
    private readonly Func<IEnumerable<ClientCertificateIdentityPool>> _pools;
    private readonly Func<string, bool> _tagIdentity;

    public IdentityInstruments(IMeterFactory meterFactory, Func<IEnumerable<ClientCertificateIdentityPool>> pools, Func<string, bool> tagIdentity)
    {
        _pools = pools;
        _tagIdentity = tagIdentity;
        _meter = meterFactory.Create(ClientCertHttpMetrics.MeterName);
        _loads = _meter.CreateCounter<long>(ClientCertHttpMetrics.IdentityLoads, "{load}", "Identity loads of per-identity clients.");
        _evictions = _meter.CreateCounter<long>(ClientCertHttpMetrics.IdentityEvictions, "{eviction}", "Identities unloaded by per-identity clients.");
        _meter.CreateObservableUpDownCounter(ClientCertHttpMetrics.IdentitiesLoaded, Observe, "{identity}", "Identities loaded now, per client.");
    }

    public void Loaded(string clientName, string identity, string result) =>
        Add(_loads, clientName, identity, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ResultTag, result), result != Unknown);

    public void Evicted(string clientName, string identity, string reason) =>
        Add(_evictions, clientName, identity, new KeyValuePair<string, object?>(ClientCertHttpMetrics.EvictionReasonTag, reason), identityIsKnown: true);

    private void Add(Counter<long> counter, string clientName, string identity, KeyValuePair<string, object?> tag, bool identityIsKnown)
    {
        var client = new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName);

        // An unknown identity is whatever a caller sent: never a tag value.
        if (identityIsKnown && _tagIdentity(clientName))
        {
            counter.Add(1, client, tag, new KeyValuePair<string, object?>(ClientCertHttpMetrics.IdentityTag, identity));
        }
        else
        {
            counter.Add(1, client, tag);
        }
    }

    private List<Measurement<int>> Observe()
    {
        List<Measurement<int>> measurements = [];
        try
        {
            foreach (var pool in _pools())
            {
                measurements.Add(new Measurement<int>(pool.Count, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, pool.ClientName)));
            }
        }
        catch (ObjectDisposedException)
        {
            // Collected while the application's services are being disposed.
        }

        return measurements;
    }
}
