namespace ClientCertHttp.Identities;

/// <summary>
/// Creates <see cref="HttpClient"/> instances bound to one identity of a per-identity client: every request they send
/// goes out with that identity's client certificate.
/// </summary>
/// <remarks>
/// The clients share the handlers of <see cref="System.Net.Http.IHttpClientFactory"/> (and so its handler lifetime,
/// the client's retry pipeline and the identity's connection pool); creating one is as cheap as
/// <c>IHttpClientFactory.CreateClient</c>. A request that names an identity itself keeps its own.
/// </remarks>
public interface IClientCertHttpClientFactory
{
    /// <summary>Creates a client of <paramref name="clientName"/> whose requests are sent as <paramref name="identity"/>.</summary>
    /// <param name="clientName">A client registered with <c>AddClientCertHttpClient</c> and configured with identities.</param>
    /// <param name="identity">The identity.</param>
    /// <returns>A client configured as <c>IHttpClientFactory.CreateClient(clientName)</c> would configure it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clientName"/> or <paramref name="identity"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> or <paramref name="identity"/> is empty.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="clientName"/> is not a ClientCertHttp client.</exception>
    HttpClient CreateClient(string clientName, string identity);
}
