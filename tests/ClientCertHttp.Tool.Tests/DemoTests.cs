namespace ClientCertHttp.Tool.Tests;

public sealed class DemoTests
{
    [Fact]
    public async Task Demo_Runs_ServerSawTheLeafAndIntermediateOverBothProtocols()
    {
        var run = await ClientCertTool.RunAsync("demo");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("HTTP 200 over HTTP/1.1")
            .And.Contain("HTTP 200 over HTTP/2")
            .And.Contain("server saw leaf:  CN=demo-client")
            .And.Contain("server saw chain: CN=ClientCertHttp Demo Intermediate CA")
            .And.Contain("Done: the server received the client certificate and its intermediate on every request.");
    }
}
