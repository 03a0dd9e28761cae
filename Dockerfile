# The ensemble binary on a minimal image. In a container set DATABASE_URL: the image has
# no PostgreSQL binaries to start its own.
FROM golang:1.27.3 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /ensemble ./cmd/ensemble

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /ensemble /ensemble
ENV ADDR=:8080 ENSEMBLE_ENV=production
EXPOSE 8080
ENTRYPOINT ["/ensemble"]
CMD ["serve"]
