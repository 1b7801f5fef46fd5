using ClientCertHttp.IntegrationTests.Grpc;
using ClientCertHttp.Testing;
using Grpc.Core;

namespace ClientCertHttp.IntegrationTests;

/// <summary>The server side of Protos/echo.proto: every reply says which certificate and chain the server received.</summary>
public sealed class EchoService : Echo.EchoBase
{
    public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context) =>
        Task.FromResult(Reply(request.Text, context));

    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        for (var i = 0; i < request.Count; i++)
        {
            await Task.Delay(request.IntervalMilliseconds, context.CancellationToken);
            await responseStream.WriteAsync(Reply(i.ToString(System.Globalization.CultureInfo.InvariantCulture), context), context.CancellationToken);
        }
    }

    public override async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        var texts = new List<string>();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            texts.Add(request.Text);
        }

        return Reply(string.Join(',', texts), context);
    }

    private static EchoReply Reply(string text, ServerCallContext context)
    {
        var httpContext = context.GetHttpContext();
        var report = MtlsTestServer.GetReport(httpContext)!;
        var reply = new EchoReply
        {
            Text = text,
            ClientSubject = report.Subject ?? string.Empty,
            Protocol = report.HttpProtocol,
            ConnectionId = report.ConnectionId,
        };
        reply.SentChainThumbprints.AddRange(report.SentChain.Select(c => c.Thumbprint));
        return reply;
    }
}
