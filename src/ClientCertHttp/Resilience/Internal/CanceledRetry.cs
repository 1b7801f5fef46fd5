using System.Net.Http;
using Polly;

namespace ClientCertHttp.Resilience;

/// <summary>
/// The retry predicate's answer once the caller has canceled: a failure that would have been retried is handled, so
/// that Polly (8.5.2 and later) ends the execution with <see cref="OperationCanceledException"/> instead of handing the
/// caller the failure of an attempt it no longer waits for; anything else (a success, a failure no retry could fix, the
/// attempt's own cancellation) is returned as it is.
/// </summary>
internal static class CanceledRetry
{
    private static readonly HttpFailureClassification Canceled = new(HttpFailureCategory.Canceled, "the request was canceled");

    public static bool ShouldHandle(Outcome<HttpResponseMessage> outcome, RetryState? state)
    {
        // No body is read: the token that would bound the read is the one that was canceled.
        var wouldRetry = outcome.Exception is { } exception
            ? HttpFailureClassifier.Classify(exception).IsTransient
            : outcome.Result is { } response && HttpFailureClassifier.IsTransientStatus((int)response.StatusCode);
        state?.Record(Canceled, outcome.Exception);
        return wouldRetry;
    }
}
