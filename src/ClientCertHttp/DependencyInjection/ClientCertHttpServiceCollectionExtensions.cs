using System.Diagnostics.CodeAnalysis;
using ClientCertHttp;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Extension methods that register client-certificate (mutual TLS) HTTP clients with <see cref="IServiceCollection"/>.
/// </summary>
/// <remarks>
/// Each method registers the client with <c>AddHttpClient</c> and then calls
/// <see cref="ClientCertHttpClientBuilderExtensions.AddClientCertificate(IHttpClientBuilder, Action{ClientCertHttpOptions})"/>
/// on it; the returned <see cref="IHttpClientBuilder"/> can be configured further
/// (<c>SetHandlerLifetime</c>, <c>AddStandardResilienceHandler</c>, <c>UseSocketsHttpHandler</c>, …).
/// </remarks>
public static class ClientCertHttpServiceCollectionExtensions
{
    /// <summary>Registers a named HTTP client that presents a client certificate configured in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client's name, used with <c>IHttpClientFactory.CreateClient(name)</c> and as the options name.</param>
    /// <param name="configure">Configures the client's <see cref="ClientCertHttpOptions"/>.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="name"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient(this IServiceCollection services, string name, Action<ClientCertHttpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient(name), configuration: null, configure);
    }

    /// <summary>Registers a named HTTP client that presents a client certificate bound from configuration.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client's name, used with <c>IHttpClientFactory.CreateClient(name)</c> and as the options name.</param>
    /// <param name="configuration">The client's configuration section, for example <c>ClientCertHttp:Clients:payments</c>.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="name"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configuration);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient(name), configuration, configure: null);
    }

    /// <summary>
    /// Registers a named HTTP client bound from configuration, then configured further in code (for example a
    /// password read from a secret store).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client's name, used with <c>IHttpClientFactory.CreateClient(name)</c> and as the options name.</param>
    /// <param name="configuration">The client's configuration section.</param>
    /// <param name="configure">Runs after the section is bound.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient(
        this IServiceCollection services,
        string name,
        IConfiguration configuration,
        Action<ClientCertHttpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient(name), configuration, configure);
    }

    /// <summary>
    /// Registers a typed HTTP client that presents a client certificate configured in code. The client's name is the
    /// type's name, as with <c>AddHttpClient&lt;TClient&gt;()</c>.
    /// </summary>
    /// <typeparam name="TClient">The typed client, constructed with an <see cref="HttpClient"/>.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the client's <see cref="ClientCertHttpOptions"/>.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>(this IServiceCollection services, Action<ClientCertHttpOptions> configure)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient<TClient>(), configuration: null, configure);
    }

    /// <summary>
    /// Registers a typed HTTP client that presents a client certificate bound from configuration. The client's name is
    /// the type's name, as with <c>AddHttpClient&lt;TClient&gt;()</c>.
    /// </summary>
    /// <typeparam name="TClient">The typed client, constructed with an <see cref="HttpClient"/>.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The client's configuration section.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>(this IServiceCollection services, IConfiguration configuration)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient<TClient>(), configuration, configure: null);
    }

    /// <summary>
    /// Registers a typed HTTP client, resolved as <typeparamref name="TClient"/> and implemented by
    /// <typeparamref name="TImplementation"/>, that presents a client certificate configured in code. The client's
    /// name is <typeparamref name="TClient"/>'s name.
    /// </summary>
    /// <typeparam name="TClient">The service type of the typed client.</typeparam>
    /// <typeparam name="TImplementation">The implementation, constructed with an <see cref="HttpClient"/>.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the client's <see cref="ClientCertHttpOptions"/>.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient<TClient, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(this IServiceCollection services, Action<ClientCertHttpOptions> configure)
        where TClient : class
        where TImplementation : class, TClient
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient<TClient, TImplementation>(), configuration: null, configure);
    }

    /// <summary>
    /// Registers a typed HTTP client, resolved as <typeparamref name="TClient"/> and implemented by
    /// <typeparamref name="TImplementation"/>, that presents a client certificate bound from configuration. The
    /// client's name is <typeparamref name="TClient"/>'s name.
    /// </summary>
    /// <typeparam name="TClient">The service type of the typed client.</typeparam>
    /// <typeparam name="TImplementation">The implementation, constructed with an <see cref="HttpClient"/>.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The client's configuration section.</param>
    /// <returns>The builder of the client, for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddClientCertHttpClient<TClient, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(this IServiceCollection services, IConfiguration configuration)
        where TClient : class
        where TImplementation : class, TClient
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return ClientCertHttpClientBuilderExtensions.AddClientCertificateCore(services.AddHttpClient<TClient, TImplementation>(), configuration, configure: null);
    }
}
