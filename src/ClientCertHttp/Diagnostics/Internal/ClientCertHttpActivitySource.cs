using System.Diagnostics;
using ClientCertHttp.Certificates;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// The library's <see cref="ActivitySource"/>. Reloads are rare (a rotation, a configuration change, a store refresh),
/// so a span per reload costs nothing a request would notice; nothing on the request path starts an activity.
/// </summary>
internal static class ClientCertHttpActivitySource
{
    private static readonly ActivitySource Source = new(ClientCertHttpActivities.ActivitySourceName, typeof(ClientCertHttpActivitySource).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of one reload, or returns <see langword="null"/> when nobody listens.</summary>
    public static Activity? StartReload(string clientName, string trigger)
    {
        var activity = Source.StartActivity(ClientCertHttpActivities.CertificateReload, ActivityKind.Internal);
        activity?.SetTag(ClientCertHttpMetrics.ClientNameTag, clientName);
        activity?.SetTag(ClientCertHttpMetrics.TriggerTag, trigger);
        return activity;
    }

    /// <summary>Records the reload's outcome on its span; the error text never carries a secret (see <see cref="ClientCertificateReloadResult.Error"/>).</summary>
    public static void Complete(Activity? activity, ClientCertificateReloadResult result)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(
            ClientCertHttpMetrics.ResultTag,
            !result.Succeeded ? ClientCertHttpMetricValues.Failure : result.Changed ? ClientCertHttpMetricValues.Changed : ClientCertHttpMetricValues.Unchanged);
        if (!result.Succeeded)
        {
            activity.SetStatus(ActivityStatusCode.Error, result.Error);
        }
    }
}
